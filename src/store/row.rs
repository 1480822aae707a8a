//! Reading a struct from a row of a SELECT, one column a field in the order
//! the fields are named: the field list stands once, in the SELECT's order,
//! instead of a column index per field kept in step with the SELECT by hand
//! (a column added in the middle shifts every index after it).

use rusqlite::Row;
use rusqlite::types::FromSql;

/// A row's columns read one after the other, from a first one on.
pub(crate) struct Columns<'a, 'r> {
    row: &'a Row<'r>,
    next: usize,
}

impl<'a, 'r> Columns<'a, 'r> {
    pub(crate) fn at(row: &'a Row<'r>, first: usize) -> Self {
        Columns { row, next: first }
    }

    /// The next column's value.
    pub(crate) fn take<T: FromSql>(&mut self) -> rusqlite::Result<T> {
        let value = self.row.get(self.next);
        self.next += 1;
        value
    }
}

/// `read_row!(r => T { a, b: i64 as u64, c })`: a `T` whose fields are the
/// row `r`'s columns in the order they are named, from the first column (or
/// from column `n`: `read_row!(r, from n => T { … })`). `field: S as U`
/// reads a column stored as `S` (SQLite's integers are `i64`) and casts it.
/// Evaluates to `T`, returning the column's error from the enclosing
/// function (a row-mapping closure) when one does not read.
macro_rules! read_row {
    ($row:expr $(, from $first:expr)? => $T:ident {
        $($field:ident $(: $stored:ty as $cast:ty)?),+ $(,)?
    }) => {{
        let mut columns = $crate::store::row::Columns::at($row, 0 $(+ $first)?);
        $T { $($field: $crate::store::row::read_row!(@take columns $($stored as $cast)?)),+ }
    }};
    (@take $columns:ident) => {
        $columns.take()?
    };
    (@take $columns:ident $stored:ty as $cast:ty) => {
        $columns.take::<$stored>()? as $cast
    };
}
pub(crate) use read_row;

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    #[derive(Debug, PartialEq)]
    struct Read {
        name: String,
        count: u64,
        note: Option<String>,
    }

    fn read(sql: &str, first: usize) -> Read {
        let conn = Connection::open_in_memory().unwrap();
        conn.query_row(sql, [], |r| {
            Ok(if first == 0 {
                read_row!(r => Read { name, count: i64 as u64, note })
            } else {
                read_row!(r, from first => Read { name, count: i64 as u64, note })
            })
        })
        .unwrap()
    }

    #[test]
    fn fields_take_the_columns_in_the_order_they_are_named() {
        let want = Read {
            name: "a".into(),
            count: 7,
            note: None,
        };
        assert_eq!(read("SELECT 'a', 7, NULL", 0), want);
        assert_eq!(read("SELECT 'skipped', 'a', 7, NULL", 1), want);
    }

    #[test]
    fn a_column_that_does_not_read_is_the_error() {
        let conn = Connection::open_in_memory().unwrap();
        let read = conn.query_row("SELECT 'a', 'seven', NULL", [], |r| {
            Ok(read_row!(r => Read { name, count: i64 as u64, note }))
        });
        assert!(matches!(
            read,
            Err(rusqlite::Error::InvalidColumnType(1, _, _))
        ));
    }
}
