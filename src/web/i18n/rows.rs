//! The reader's findings about a spreadsheet in the page's language: each
//! finding of a bad line, the columns it took and how it read the file. The
//! reader hands over data (`domain::finding`); the words are chosen here, from
//! the kind of finding, never from the English the command line prints.

use super::{M, Words};
use crate::domain::finding::{AmountFinding, Finding, Findings};
use crate::domain::{PaymentIdError, Requested};
use crate::sheets::input::{ColumnRole, InputError};
use crate::store::ledger::{PriorRefund, Standing};

/// Every finding of one line, in the page's language, joined by `; `.
pub(crate) fn findings(w: &Words, f: &Findings) -> String {
    f.iter()
        .map(|one| finding(w, one))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One finding in the page's language.
pub(crate) fn finding(w: &Words, f: &Finding) -> String {
    let two = |m, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| w.f4(m, a, b, "", "");
    match f {
        Finding::FieldCount { got, want, comma } => {
            let mut s = two(M::FindFieldCount, got, want);
            if *comma {
                s.push_str(w.t(M::FindFieldCountComma));
            }
            s
        }
        Finding::SwallowedRows { column, line } => two(M::FindSwallowed, column, line),
        Finding::UndefinedByte { column, byte } => {
            two(M::FindUndefinedByte, column, &format!("{byte:02X}"))
        }
        Finding::Amount(a) => amount(w, a),
        Finding::PaymentId(e) => match e {
            PaymentIdError::Blank => w.t(M::FindPaymentIdBlank).to_owned(),
            PaymentIdError::Scientific(id) => w.f(M::FindPaymentIdScientific, id),
            PaymentIdError::NotNumeric(id) => w.f(M::FindPaymentIdNotNumber, id),
            PaymentIdError::TooLong(id) => w.f(M::FindPaymentIdTooLong, id),
            PaymentIdError::OutOfRange(id) => w.f(M::FindPaymentIdRange, id),
        },
        Finding::IdsBlank => w.t(M::FindIdsBlank).to_owned(),
        Finding::Duplicate { first_line } => w.f(M::FindDuplicate, first_line),
        Finding::Currency { cell, .. } => w.f(M::FindCurrency, excerpt(cell)),
        Finding::Kind { cell, .. } => w.f(M::FindKind, excerpt(cell)),
        // The order reader's own detail goes along: it names the ids.
        Finding::Order { said } => format!("{} ({said})", w.t(M::FindOrder)),
    }
}

/// A cell as the page quotes it: cut short, without the reader's quotes.
fn excerpt(cell: &str) -> String {
    const MAX: usize = 40;
    match cell.char_indices().nth(MAX) {
        None => cell.to_owned(),
        Some((at, _)) => format!("{}…", &cell[..at]),
    }
}

fn amount(w: &Words, a: &AmountFinding) -> String {
    let cell = excerpt(a.cell());
    match a {
        AmountFinding::Blank => w.t(M::FindAmountBlank).to_owned(),
        AmountFinding::NotANumber { .. } => w.f(M::FindAmountNotANumber, cell),
        AmountFinding::NotPositive { .. } => w.f(M::FindAmountNotPositive, cell),
        AmountFinding::Signed { .. } => w.f(M::FindAmountSigned, cell),
        AmountFinding::Scientific { .. } => w.f(M::FindAmountScientific, cell),
        AmountFinding::NotPlain { .. } => w.f(M::FindAmountNotPlain, cell),
        AmountFinding::Separator { unclear: false, .. } => w.f(M::FindAmountSeparator, cell),
        AmountFinding::Separator { unclear: true, .. } => w.f(M::FindAmountSeparatorUnclear, cell),
        AmountFinding::Decimals {
            currency,
            allowed,
            mark,
            ..
        } => {
            let mut s = match (allowed, currency) {
                (0, Some(c)) => w.f4(M::FindAmountNoDecimals, &cell, c, "", ""),
                (n, _) => w.f4(M::FindAmountDecimals, &cell, n, "", ""),
            };
            if let Some(m) = mark {
                s.push_str(&w.f(M::FindAmountThousandsHint, m));
            }
            s
        }
        AmountFinding::TooLarge { .. } => w.f(M::FindAmountTooLarge, cell),
        AmountFinding::Zero { .. } => w.f(M::FindAmountZero, cell),
    }
}

/// A refusal of the whole file in the page's language, naming it `name`;
/// `None` for the rarer ones, which keep the reader's words.
pub(crate) fn file_refused(w: &Words, e: &InputError, name: &str) -> Option<String> {
    match e {
        InputError::MissingColumn {
            column,
            accepted,
            found,
            hint,
            ..
        } => {
            let mut s = w.f4(M::FileNoColumn, name, role(w, *column), found, accepted);
            if !hint.is_empty() {
                s.push_str(w.t(M::FileLooksLikeData));
            }
            Some(s)
        }
        InputError::Empty { .. } => Some(w.f(M::FileEmpty, name)),
        InputError::UnclosedQuote { line, .. } => {
            Some(w.f4(M::FileUnclosedQuote, name, line, "", ""))
        }
        _ => None,
    }
}

/// An earlier refund of a row's payment, as a person weighs it: how much,
/// what became of it, when, and in which batch — by its file's name when the
/// console uploaded it (`names`: ledger batch → file name).
pub(crate) fn prior(
    w: &Words,
    p: &PriorRefund,
    names: &std::collections::HashMap<String, String>,
) -> String {
    let asked = p.refunded_amount.as_deref().unwrap_or(&p.requested);
    let amount = match Requested::from_canonical(asked) {
        Some(Requested::Partial(a)) => w.amount(None, a.get()),
        _ => w.t(M::PriorWhole).to_owned(),
    };
    let when = p.last_attempt_at_ms.map(|t| w.date(t)).unwrap_or_default();
    let batch = names
        .get(&p.batch_id)
        .cloned()
        .unwrap_or_else(|| p.batch_id.chars().take(12).collect());
    let m = match p.standing() {
        Standing::Refunded => M::PriorRefunded,
        Standing::InProcess => M::PriorInProcess,
        Standing::InDoubt => M::PriorInDoubt,
        Standing::Waiting => M::PriorWaiting,
        Standing::Other => M::PriorOther,
    };
    w.f4(m, amount, when, batch, &p.state)
}

/// What a column was taken as, in the page's language.
pub(crate) fn role(w: &Words, r: ColumnRole) -> &'static str {
    w.t(match r {
        ColumnRole::PaymentId => M::RoleNamePaymentId,
        ColumnRole::OrderId => M::RoleNameOrderId,
        ColumnRole::TransactionId => M::RoleNameTransactionId,
        ColumnRole::Amount => M::RoleNameAmount,
        ColumnRole::Reference => M::RoleNameReference,
        ColumnRole::Kind => M::RoleNameKind,
        ColumnRole::Currency => M::RoleNameCurrency,
    })
}

/// The file's encoding, from what the reader found.
pub(crate) fn encoding(w: &Words, windows_1252: bool, bom: bool) -> &'static str {
    w.t(match (windows_1252, bom) {
        (true, _) => M::ReadEnc1252,
        (false, true) => M::ReadEncUtf8Bom,
        (false, false) => M::ReadEncUtf8,
    })
}

/// The field delimiter the file was read with.
pub(crate) fn delimiter(w: &Words, d: u8) -> String {
    match d {
        b',' => w.t(M::ReadDelimComma).to_owned(),
        b';' => w.t(M::ReadDelimSemicolon).to_owned(),
        b'\t' => w.t(M::ReadDelimTab).to_owned(),
        d => format!("{:?}", char::from(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    /// A file as Excel pt-BR saves it, with the problems people plant in one:
    /// every finding reads in Portuguese, with no command-line word.
    #[test]
    fn a_bad_lines_findings_read_in_the_pages_language() {
        let f = crate::sheets::input::tests::file(
            b"ID do pagamento;Valor;Motivo\r\n1;;a\r\n2;12,5O;b\r\n3;10,50;c\r\n3;10,50;c\r\n4;1.234,567;d\r\n",
        );
        let input = crate::sheets::input::Spooled::read(f.path()).unwrap();
        let v = input
            .validate(&crate::sheets::input::tests::opts(), |_| Ok(()))
            .unwrap();
        let pt = Words::utc(Lang::PtBr);
        let said: Vec<(u64, String)> = v
            .problems
            .iter()
            .map(|(line, f)| (*line, findings(&pt, f)))
            .collect();
        assert_eq!(
            said,
            [
                (
                    2,
                    "o valor está em branco: escreva o valor a devolver, ou “total” para devolver o pagamento inteiro".to_owned()
                ),
                (
                    3,
                    "o valor “12,5O” precisa ser um número simples, sem símbolo de moeda nem letras".to_owned()
                ),
                (
                    5,
                    "repete a linha 4 (mesmo pagamento, valor e referência): apague uma delas, ou dê a cada uma sua própria referência".to_owned()
                ),
                (
                    6,
                    "o valor “1.234,567” tem casas decimais demais: no máximo 2 (se o “,” separa os milhares, remova-o)".to_owned()
                ),
            ]
        );
        for (_, s) in &said {
            assert!(!s.contains("--"), "{s}");
        }
        // The command line's reading is the English it always was.
        assert_eq!(
            v.problems[2].1.to_string(),
            "duplicates line 4 (same payment, amount and reference); pass --allow-duplicates if intended"
        );
        let es = Words::utc(Lang::Es);
        assert_eq!(
            findings(&es, &v.problems[0].1),
            "el monto está en blanco: escriba el monto a devolver, o “total” para devolver el pago completo"
        );
        assert_eq!(delimiter(&pt, b';'), "ponto e vírgula (;)");
        assert_eq!(encoding(&es, true, false), w_1252_es());
        assert_eq!(role(&pt, ColumnRole::PaymentId), "ID do pagamento");
    }

    /// A file with no id column is refused naming it, in the page's language,
    /// with the names the column may have.
    #[test]
    fn a_file_refused_reads_in_the_pages_language() {
        let f = crate::sheets::input::tests::file(b"Nome;Quantia\r\nx;1\r\n");
        let e = crate::sheets::input::Spooled::read(f.path())
            .and_then(|s| s.open(&crate::sheets::input::tests::opts()).map(|_| ()))
            .unwrap_err();
        let said = file_refused(&Words::utc(Lang::PtBr), &e, "dia.csv").unwrap();
        assert!(
            said.starts_with("dia.csv: não há coluna de ID do pagamento. Cabeçalho lido: "),
            "{said}"
        );
        assert!(said.contains("ID do pagamento, ID da transação"), "{said}");
    }

    fn w_1252_es() -> &'static str {
        "Windows-1252 (no es UTF-8; acentos leídos como los grabó Excel)"
    }
}
