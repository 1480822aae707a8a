//! The integration tests: one binary, one module per feature.

mod audit_trail; // the audit trail in the person's language: words, file names, folded logins, refused steps
mod books; // the per-payment guard: a payment an earlier batch refunded is not refunded again
mod boundary; // one settings model, flags refused where they do not apply, one exit boundary
mod browser; // the console in a real Chromium over WebDriver: login, upload → plan, the whole flow, audit
mod common; // temp work dirs, the binary, CSV readers, the console process
mod console; // the web console over HTTP: accounts, login, CSRF, upload → plan, audit
mod console_books; // the console reads the books back: reconcile, a report matched, the findings
mod console_client; // the console's test client: a person logged in, uploads, steps, waits
mod console_ops; // the console run for real: HTTPS, job-file settings, killed sends, refusals in the person's language
mod console_results; // the console's results: filtered pages, the results CSV, retry failed rows
mod covered; // the approved total covers every row: full rows read back or named apart, in the account's currency
mod doubt; // what Mercado Pago may have done is never forgotten: rows in doubt, read-backs, the guard
mod earlier; // run --job finishes the job's earlier unfinished batches first
mod finance; // what finance and cron see: confirmation, guards, figures, Excel-ready results
mod finished; // a finished batch explains itself: parts that add up, money labelled, causes explained, steps said
mod four_eyes; // the console's four eyes: submit, approve by another, reject, expiry, send now, run --approved
mod guard; // the per-payment guard on every path money can take: killed rows, late resumes, two processes
mod hardening; // lost rows, overwritten state, lying servers, leaked tokens
mod hostile; // the console and the reader under hostile load: bounded memory, writes, guesses
mod installed; // the nights and the console as one installation: cron, units, tokens, notifications
mod job; // plan and run end to end: outcomes, faults, crashes, re-exports, tokens, bad input, rate
mod layers; // the source's folders are its layers: no import reaches up, no module is in a circle
mod mpbatch; // Mercado Pago's own batch-refund file in, its output columns out
mod network; // exit 6 for a person, 3 for an outage; an unreachable API named
mod nights; // nights sharing a state file: an outage night visible, per-batch files, unchanged input
mod once_more; // the same file twice: earlier refunds of its rows counted, called out, confirmed
mod ops; // locking, signals, retry/status/report, job files, metrics, JSON logs
mod orders; // orders of the Orders API beside payments: read, keyed, sent, read back, reconciled
mod rate; // rate control: the adaptive rate against an account limit, the shared pause
mod refusals; // the console's refusals as people meet them: totals typed their way, pages with a way back
mod resume; // a file the state file holds: resumed without re-reading, results kept
mod scan; // the input read once per command: a named pipe is enough
mod sheets; // one way to write a sheet: every CSV in the input's dialect, one run-summary shape
mod simulation; // the seeded simulation of bad nights: invariants over generated schedules
mod small; // small things a trial run hit: CRLF lines, the crontab, cause meanings, quiet lines
mod statements; // reconcile --report: the batch against Mercado Pago's report files
mod steps; // every next step printed is a command that works as printed
