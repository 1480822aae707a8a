//! The books: the vocabulary of reconciliation — what comparing a batch's
//! refunds with Mercado Pago's found, line by line — below the commands that
//! produce it (`reconcile`, `reconcile --report`) and the outputs that show it
//! (their CSVs, `--metrics-file`). Each finding's name is its one spelling in
//! every output, derived from the variant.

crate::domain::codes! {
    /// What reconciling found for one row, or for a refund no row made.
    #[derive(PartialOrd, Ord)]
    pub(crate) enum Finding {
        /// The row's refund exists at Mercado Pago with the same id, amount and status.
        Matched,
        /// The row was `in_process`; its refund is now approved (the row is now refunded).
        Settled,
        /// The row was refunded or in process; its refund is now rejected or cancelled
        /// (the row is now failed, cause `refund_rejected`).
        RejectedLater,
        /// The state says refunded; the payment shows no such refund.
        MissingAtMp,
        /// The refund exists with another amount.
        AmountDiffers,
        /// A refund on the payment that no row of any batch of the state file made.
        OutsideRefund,
        /// A row in doubt (sent with no answer carrying its refund), and the
        /// payment shows a refund of its amount made after it was sent: the row is
        /// now refunded with that refund.
        UnknownOutcomeFound,
        /// A row in doubt whose payment shows no refund of it, read too soon after
        /// its last attempt to say it refunded nothing (Mercado Pago may still be
        /// processing it): reconcile again later.
        InDoubt,
        /// Nothing was refunded for the row, and nothing at Mercado Pago says otherwise.
        NoRefund,
        /// The payment could not be read (not found, unreadable answers, odd fields).
        Unreadable,
    }
}

impl Finding {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// The books agree on this line.
    pub(crate) fn agrees(self) -> bool {
        matches!(
            self,
            Finding::Matched | Finding::Settled | Finding::NoRefund
        )
    }
}

crate::domain::codes! {
    /// What matching found for one line of a report, or one refund of the batch.
    #[derive(PartialOrd, Ord)]
    pub(crate) enum ReportFinding {
        Matched,
        /// Matched, but another refund of the same amount on the same payment could
        /// have been it: allocated oldest first.
        MatchedAmbiguous,
        /// A report line of the batch's refund with another amount.
        AmountDiffers,
        /// A refund of the batch, dated well inside the reports' period, that no
        /// report line shows.
        MissingInReport,
        /// A refund line on a payment of the batch that no row of it made: made by
        /// hand, or by something else.
        NotInBatch,
        /// A chargeback on a payment the batch refunded: the money may go out twice.
        ChargebackOnRefundedPayment,
        /// A refund of the batch dated outside the reports' period (or too near its
        /// edges to expect it there).
        OutOfPeriod,
        /// Money reserved for a refund (release report), shown apart.
        ReserveForRefund,
    }
}

impl ReportFinding {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// The books disagree: the run exits 1.
    pub(crate) fn disagrees(self) -> bool {
        matches!(
            self,
            ReportFinding::AmountDiffers
                | ReportFinding::MissingInReport
                | ReportFinding::NotInBatch
                | ReportFinding::ChargebackOnRefundedPayment
        )
    }
}

/// How many lines of each finding a result keeps for a page to show; the
/// output file holds them all.
pub(crate) const SAMPLE_PER_FINDING: usize = 200;

/// The first lines of each finding, up to a cap per finding, in the order
/// found: what a page lists beside the counts, so a batch of a million rows
/// costs a page no more than a few hundred.
#[derive(Debug)]
pub(crate) struct Sample<F, T> {
    per: usize,
    kept: std::collections::BTreeMap<F, Vec<T>>,
}

impl<F: Ord, T> Sample<F, T> {
    pub(crate) fn new(per: usize) -> Sample<F, T> {
        Sample {
            per,
            kept: Default::default(),
        }
    }

    /// Keeps the line `make` makes, unless `finding` has its fill already (then
    /// it is not made at all).
    pub(crate) fn offer(&mut self, finding: F, make: impl FnOnce() -> T) {
        let lines = self.kept.entry(finding).or_default();
        if lines.len() < self.per {
            lines.push(make());
        }
    }

    /// The lines kept of `finding`.
    pub(crate) fn of(&self, finding: &F) -> &[T] {
        self.kept.get(finding).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_keeps_the_first_lines_of_each_finding() {
        let mut s = Sample::new(2);
        let mut made = 0;
        for (f, n) in [
            (Finding::Matched, 1),
            (Finding::Unreadable, 2),
            (Finding::Matched, 3),
            (Finding::Matched, 4),
        ] {
            s.offer(f, || {
                made += 1;
                n
            });
        }
        assert_eq!(s.of(&Finding::Matched), [1, 3]);
        assert_eq!(s.of(&Finding::Unreadable), [2]);
        assert!(s.of(&Finding::NoRefund).is_empty());
        assert_eq!(made, 3, "a line past the cap is not even made");
    }
}
