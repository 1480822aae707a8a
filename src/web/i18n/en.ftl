# The console's words in English: the catalogue every other language follows.
# Each message is keyed by its `M` name in kebab-case (src/web/i18n/mod.rs);
# a `why-` message is the meaning of a cause code. Variables ($count, $file…)
# are named in mod.rs beside the key; a test fails when a message is missing.

## Messages

progress-refunded = Money refunded:

console = mprefund console
nav-batches = Batches
nav-audit = Audit trail
log-out = Log out
language = Language
login-title = Log in
login-intro = Refunds from a spreadsheet: upload it, check the plan, have it approved.
login-wrong = Wrong account name or password.
login-wait = Too many failed logins for this account: try again in { $seconds ->
    [one] 1 second
   *[other] { $seconds } seconds
}.
login-rate = Too many logins from here or at this name: try again in { $seconds ->
    [one] 1 second
   *[other] { $seconds } seconds
}.
login-busy = The console is busy checking other logins: try again in a few seconds.
login-too-long = No account has a name that long: names have at most { $max } characters.
login-account = Account
login-password = Password
home-upload-title = Upload a spreadsheet
home-upload-intro = A CSV file (comma, semicolon or tab), up to { $mib } MiB, with a payment id and an amount column. Nothing is sent from here: you see the plan first.
home-skip-invalid = Skip the bad lines (send only the good ones)
home-upload-button = Upload and check
home-batches = Batches
home-no-batch = No batch yet.
col-file = File
col-uploaded-by = Uploaded by
col-when = When ({ $zone })
col-state = State
batch-uploaded = Uploaded by { $who } at { $when } ({ $zone }), { $bytes } bytes.
batch-skipping = Bad lines will be skipped.
batch-rows = { $count ->
    [one] row
   *[other] rows
}
batch-good = good
batch-bad = bad
batch-already-refunded = already refunded by earlier batches
batch-blank = { $count ->
    [one] blank line skipped
   *[other] blank lines skipped
}
money-title = Money per currency
money-none = Nothing to refund: no good rows.
col-currency = Currency
col-rows-with-amount = Rows with an amount
col-sum = Sum of those amounts
col-full-refunds = Full refunds
money-full-note = A full refund returns what is left of the payment: its amount is known only when it is sent, so it is not in the sum.
bad-lines-title = Bad lines ({ $count })
bad-lines-intro = These lines are not refunded as they are. Fix them in the spreadsheet and upload it again
bad-lines-or-skip = , or go on without them.
bad-lines-or-tick = , or upload it again with “skip the bad lines” ticked.
col-line = Line
col-what-to-fix = What to fix
prior-title = Already refunded by an earlier batch ({ $count })
prior-intro = The payment of each of these lines has a refund from an earlier batch: these lines are held back, so that no payment is refunded twice by mistake.
col-payment = Payment
col-earlier-refund = The earlier refund
read-title = How the file was read
read-encoding = Encoding
read-delimiter = Delimiter
read-columns = Columns
col-taken-as = Taken as
col-header-cell = Header cell
col-column = Column
read-none = (none)
prior-refunded = { $amount } refunded on { $when }, in batch “{ $batch }”
prior-in-process = { $amount } being refunded since { $when }, in batch “{ $batch }”
prior-in-doubt = { $amount } may have been refunded on { $when } (its answer never came), in batch “{ $batch }”
prior-waiting = { $amount } waiting to be sent, in batch “{ $batch }”
prior-other = { $amount } ({ $state }) on { $when }, in batch “{ $batch }”
prior-whole = the whole payment
file-no-column = { $file }: no { $column } column. Header read: { $header }. Name the column one of: { $names }.
file-looks-like-data = {" "}The first line looks like data: the file needs a header row.
file-empty = { $file } is empty: it needs a header row with a payment ID column and an amount column.
file-unclosed-quote = { $file }, line { $line }: a quote opened on this line is never closed, so every line after it would be read as one cell: close or remove the quote.
read-enc-utf8 = UTF-8
read-enc-utf8-bom = UTF-8 with BOM
read-enc1252 = Windows-1252 (not UTF-8; accents read as Excel wrote them)
read-delim-comma = comma (,)
read-delim-semicolon = semicolon (;)
read-delim-tab = tab
role-name-payment-id = payment id
role-name-order-id = order id
role-name-transaction-id = transaction id
role-name-amount = amount
role-name-reference = reference
role-name-kind = kind
role-name-currency = currency
find-field-count = the line has { $got } cells but the header has { $want }
find-field-count-comma = {" "}(a cell with a comma, such as a decimal comma, must be in quotes)
find-swallowed = column “{ $column }” runs over several lines and holds what look like further rows: was a quote opened on line { $line } and closed too late? Those rows would be lost.
find-undefined-byte = column “{ $column }” holds a byte (0x{ $byte }) that is neither UTF-8 nor Windows-1252: save the file again as “CSV UTF-8”
find-amount-blank = blank amount: write the amount to refund, or “full” to refund the whole payment
find-amount-not-a-number = amount “{ $cell }” is not a number
find-amount-not-positive = amount “{ $cell }” must be greater than zero
find-amount-signed = write the amount “{ $cell }” without a sign
find-amount-scientific = amount “{ $cell }” is in scientific notation: write the plain number (e.g. 1500.00)
find-amount-not-plain = amount “{ $cell }” must be a plain number, without currency symbols or letters
find-amount-separator = amount “{ $cell }” has a thousands separator that cannot be read: write it without one (e.g. 1234.56)
find-amount-separator-unclear = amount “{ $cell }” has a thousands separator, and the file's amounts do not show which mark is the decimal one: write it without one (e.g. 1234.56)
find-amount-decimals = amount “{ $cell }” has too many decimal places: at most { $max }
find-amount-no-decimals = amount “{ $cell }” has decimal places, which { $currency } does not have
find-amount-thousands-hint = {" "}(if the “{ $mark }” separates thousands, remove it)
find-amount-too-large = amount “{ $cell }” is too large
find-amount-zero = amount “{ $cell }” is zero: nothing to refund
find-payment-id-blank = the payment ID is blank
find-payment-id-scientific = the payment ID { $id } is in scientific notation (the spreadsheet reformatted it): format the column as text and export again
find-payment-id-not-number = the payment ID { $id } is not a positive whole number
find-payment-id-too-long = the payment ID { $id } is too long
find-payment-id-range = the payment ID { $id } is larger than any payment ID can be
find-ids-blank = the payment ID and the order ID are blank
find-duplicate = duplicates line { $line } (same payment, amount and reference): delete one of them, or give each its own reference
find-currency = the currency “{ $cell }” is not one Mercado Pago uses
find-kind = the kind “{ $cell }” is not “payment”, “advanced_payment” or “order”
find-order = the order on this line cannot be refunded as written
bytes = bytes
audit-title = Audit trail
audit-intro = Every login, upload and step, newest first (the latest { $count }). Nothing here can be edited or deleted.
audit-download = Download all as CSV
audit-nothing = Nothing yet.
col-account = Account
col-what = What
col-from = From
col-batch = Batch
col-detail = Detail
problem-title = Problem
not-found-title = Not found
not-found-text = There is no such batch or page. It may have been typed wrong; the list of batches is on the first page.
first-page = First page
empty-title = The file is empty
empty-text = It has no bytes at all. Export the spreadsheet again as CSV, with its header row, and upload that.
workbook-title = This is a workbook, not a CSV file
workbook-text = Open it in Excel (or LibreOffice) and save it as CSV: File → Save As → CSV UTF-8 (comma delimited). Then upload the .csv file.
no-file-title = No file was chosen
no-file-text = Choose the CSV file, then upload.
unreadable-title = The file cannot be read as a refunds spreadsheet
unreadable-text = Nothing was kept. What the reader found:
removed-title = This batch's spreadsheet was removed
removed-text = Uploaded spreadsheets are kept for a number of days after their batch ended, then removed. The batch, its results and the audit trail remain.
back-to-batches = Back to the batches
err-no-batch = no such batch
err-not-found = not found
err-not-logged-in = not logged in (or the session ended): log in at /login
err-csrf = the form's security token is missing or wrong: reload the page and try again
err-origin = this request came from a page that is not the console's, and was refused: open the console and do it there
err-role = your account's role may not do this
err-cannot-submit = the batch is { $state }: it cannot be submitted now
err-cannot-decide = the batch is { $state }: it cannot be approved or rejected now
err-not-sendable = the batch is { $state }: only an approved batch is sent
err-being-sent = the batch is being sent already
err-not-being-sent = the batch is not being sent
err-canary = canary={ $value }: the number of rows to send first, 1 or more
err-no-token-send = this console was started without a Mercado Pago access token, so it cannot send: an administrator must restart it with the account's token
err-no-token-approve = this console was started without a Mercado Pago access token, so it cannot make the batch ready to send; nothing was approved. An administrator must restart it with the account's token
err-submitted-already = the batch was submitted already
err-decided-already = the batch was decided already
err-own-batch = you submitted this batch: someone else approves or rejects it
err-say-why = say why the batch is rejected
err-bad-lines = the file has { $count ->
    [one] 1 bad line: fix it
   *[other] { $count } bad lines: fix them
} and upload it again, or upload it with "skip the bad lines" ticked
err-total-differs = the total differs: { $detail }
err-not-approved = not approved: { $detail }
err-sent-already = the batch was sent already
err-type-total = type the total you expect, per currency (e.g. 1,234.56 BRL)
err-bad-total = { $typed } is not a total the console can read: type it as the plan shows it, e.g. 1,234.56 BRL or 1234.56:BRL; rows of a whole payment that could not be read go apart: + 2 full
err-too-large = the file is larger than { $mib } MiB
err-unknown-language = unknown language
err-internal = something went wrong on the server; the log says what
err-no-results = the batch has no results yet: it was not sent
err-filter = filter: all, failed, needs-person or refunded
err-page = page: a page number, 1 or more
err-format = format: mprefund or mp-batch
err-not-retryable = the batch is { $state }: only a finished or stopped batch is retried
err-retry-pending = { $count ->
    [one] 1 row is
   *[other] { $count } rows are
} still to send: send the rest first (send now); nothing was retried
err-nothing-to-retry = no failed row to retry (a row failed for good needs a person)
err-books-while-sending = the batch is being sent: read the books back once it ends
err-books-not-sent = the batch is { $state }: nothing was sent yet, so there are no books to read back
err-no-token-books = this console was started without a Mercado Pago access token, so it cannot read Mercado Pago's books: an administrator must restart it with the account's token
err-books-reading = the books of this batch are being read back already
err-books-not-read = the books of this batch were not read back yet
err-no-report-match = no Mercado Pago report was matched against this batch yet
err-being-reconciled = the books of this batch are being read back: send it once that ends; nothing was sent
causes-title = Why rows were not refunded
col-cause = Cause
col-meaning = What it means
col-next = What to do next
next-retry = retry: sending again with the same key is safe
next-reconcile = reconcile: read the refund back from Mercado Pago later
next-fix-row = fix the row in the spreadsheet, then upload it again
next-needs-person = needs a person: look at the payment in Mercado Pago
next-nothing = nothing to do
books-link = Reconciliation: read the books back from Mercado Pago, or match a report
books-title = Reconciliation
books-intro = Reads each payment of the batch back from Mercado Pago and compares its refunds with what the batch did. Nothing is sent; a refund that settled or was rejected since is noted on its row.
books-button = Read the books back now
books-again = Read them back again
books-none = Not read back yet.
books-working = Reading the books back… This page refreshes itself; a large batch takes a while (one request per payment, at the console's rate).
books-started-by = Started by { $who } at { $when } ({ $zone }).
books-done-by = Read back by { $who } at { $when } ({ $zone }).
books-agree = The books agree: nothing to do.
books-disagree = The books disagree on some lines: below, what each finding means and what to do.
books-stopped = Stopped early ({ $why }): nothing was changed. Read them back again.
books-updated = { $count ->
    [one] 1 row updated: its refund
   *[other] { $count } rows updated: their refund
} settled or was rejected since.
books-failed = The books could not be read back:
books-download = Download the reconciliation (CSV)
books-first-lines = The first { $shown } of { $total } lines.
col-finding = Finding
col-lines = Lines
col-money = Money
col-row = Row
col-refund = Refund
col-ours = The batch's amount
col-at-mp = At Mercado Pago
col-mp-status = Status there
report-title = Match a Mercado Pago report
report-intro = Upload a settlement or release report (CSV, up to { $mib } MiB), as downloaded from Mercado Pago: each of its lines about the batch's payments is matched with the batch's refunds. Nothing is sent.
report-button = Upload and match
report-none = No report matched yet.
report-download = Download the last matching (CSV)
report-done = { $report }, matched by { $who } at { $when } ({ $zone }).
report-outside = No line of the report falls in the batch's period: match a report of the days the batch was sent.
report-period = The report covers { $from } to { $to }.
col-report = Report
col-report-type = Type
col-per-batch = Per the batch
col-per-report = Per the report
not-a-report-title = The file cannot be read as a Mercado Pago report
not-a-report-text = Nothing was matched. Upload the settlement or release report as Mercado Pago gives it (CSV). What the reader found:
find-matched = The refund is at Mercado Pago with the same id, amount and status.
find-matched-next = nothing to do
find-settled = The refund was in process; Mercado Pago has approved it since (the row is now refunded).
find-settled-next = nothing to do
find-rejected-later = The refund was made, then cancelled or rejected at Mercado Pago: no money went back (the row is now failed).
find-rejected-later-next = see why in the Mercado Pago panel; refund it again in a new batch if it is still owed
find-missing-at-mp = The batch says refunded, but the payment shows no such refund.
find-missing-at-mp-next = a person checks the payment in the Mercado Pago panel before anything is sent again
find-amount-differs = The refund is there with another amount than the batch's.
find-amount-differs-next = a person compares the two amounts in the panel; refund the difference by hand if it is owed
find-outside-refund = A refund on a payment of the batch that no batch of this console made (by hand, or another tool).
find-outside-refund-next = check that the customer is not refunded twice
find-unknown-outcome-found = The row was sent and its answer lost; the payment shows a refund of its amount.
find-unknown-outcome-found-next = send the batch again: the same key replays that refund, nothing is paid twice
find-no-refund = Nothing was refunded for the row, and Mercado Pago agrees.
find-no-refund-next = nothing to do (see the row's cause on the batch page)
find-in-doubt = The row may have been refunded (its answer never came) and the payment shows no refund of it yet; it was read too soon to say none was made.
find-in-doubt-next = read the books back again later: once its last attempt is old enough, no refund found means none was made
find-unreadable = The payment could not be read from Mercado Pago.
find-unreadable-next = read the books back again later
rep-matched = The report shows the batch's refund, same payment and amount.
rep-matched-next = nothing to do
rep-matched-ambiguous = Matched, but the payment has another refund of the same amount that could have been it (taken oldest first).
rep-matched-ambiguous-next = nothing to do, unless the totals differ
rep-amount-differs = The report shows the batch's refund with another amount.
rep-amount-differs-next = a person compares the amounts in the panel
rep-missing-in-report = A refund of the batch, made well inside the report's period, that no line of it shows.
rep-missing-in-report-next = read the books back (reconcile), and check the report is the whole period
rep-not-in-batch = A refund on a payment of the batch that the batch did not make.
rep-not-in-batch-next = check that the customer is not refunded twice
rep-chargeback = A chargeback on a payment the batch refunded: the money may go out twice.
rep-chargeback-next = a person disputes the chargeback or asks the money back
rep-out-of-period = A refund of the batch made outside the report's period, or too near its edges to expect it there.
rep-out-of-period-next = match the report of the days it was made
rep-reserve = Money held back for a refund (release report), shown apart.
rep-reserve-next = nothing to do
state-uploaded = uploaded
state-submitted = submitted
state-approved = approved
state-rejected = rejected
state-sending = sending
state-stopped = stopped
state-finished = finished
state-expired = expired
outcome-refunded = refunded
outcome-in-process = in process
outcome-failed = failed
outcome-invalid = invalid
outcome-pending = pending
outcome-unknown = may have been refunded
results-title = Results
results-link = Every row's result, with filters and downloads
filter-all = All
filter-failed = Failed
filter-needs-person = Needs a person
filter-refunded = Refunded
results-filters = Failed: not refunded, and nothing under way (Mercado Pago refused it, or the line is bad) — and the rows that may have been refunded, whose answer never came: retrying sends the same key, reconciling reads them back. Needs a person: rows the tool will not finish by itself — failed for good, bad lines, refunds made for another amount or on another payment. Refunded: a refund exists (refunded, or in process: it settles later). Rows still to send are under All only.
results-download = Download the results for other systems (CSV, in the tool's own columns)
results-download-mp = Download in Mercado Pago's batch columns
results-none = No row here.
results-not-yet = This batch has no results yet: they appear once it is sent.
results-page = page { $page } of { $pages }
results-prev = ← previous
results-next = next →
col-amount = Amount
col-refund-id = Refund
col-refund-status = Refund status
amount-full = full refund
amount-full-was = full refund: { $amount }
retry-button = Retry the failed rows ({ $count })
retry-what = Only rows that failed for a passing reason are sent again, each with its own key: Mercado Pago makes each refund once.
flow-title = Approval
flow-submitted-by = Submitted by
flow-at = at { $when }
flow-expecting = , expecting { $total }
flow-rejected-by = Rejected by
flow-approved-by = Approved by
flow-why = Why
flow-ledger-batch = Batch in the state file
flow-expired = Not approved within { $days ->
    [one] 1 day
   *[other] { $days } days
} of its upload: this batch expired. Upload the file again to start over.
submit-total = Total you expect, per currency (e.g.
submit-total-several = ; one per line for several)
submit-button = Submit for approval
approve-total = Type the total again, per currency, as you read it in the plan below
approve-button = Approve
reject-reason = Why it is rejected
reject-button = Reject
send-now = Send now
send-rest = Send now (the rest)
send-canary = Send the next { $count ->
    [one] row
   *[other] { $count } rows
} first, then look
progress-of = of
progress-rows-done = rows done
progress-rate = rows/s
progress-left = left
progress-full = full
stop-button = Stop (rows in flight finish; the rest waits)
answered-title = Rows sent so far
answered-first = {" "}(the first { $count })
col-outcome = Outcome
col-what-happened = What happened
err-total-currency = the total { $typed } is in { $typed-currency }, but this file's rows are in { $currency }: type it in { $currency }
err-total-full-apart = { $count ->
    [one] 1 row refunds
   *[other] { $count } rows refund
} a whole payment that could not be read from Mercado Pago, so their money is in no total: name them apart, e.g. { $example }
err-cover-reading = the payments of the rows that refund a whole payment are still being read from Mercado Pago ({ $done } of { $total }): try again in a moment
err-total-no-account = this file has no currency column and the account's currency could not be read from Mercado Pago: type the total without a currency, or set `currency` in the job file
cover-reading = Reading from Mercado Pago the payments of the rows that refund a whole payment: { $done } of { $total }…
cover-to-type = The total to type, every row in it:
cover-read = The rows that refund a whole payment are in it: what is left of each payment, read from Mercado Pago.
cover-unread = { $count ->
    [one] 1 row refunds
   *[other] { $count } rows refund
} a whole payment that could not be read from Mercado Pago: their money is known only when sent, so the total names them apart (`+ { $count } full`).
cover-account = The file has no currency column: its rows are in the account's currency, { $currency }.
look-only = Look only: this console was started without a Mercado Pago access token. Plans, results and the audit trail can be read; nothing can be approved or sent until an administrator restarts it with the account's token.
role-submitter = submitter
role-approver = approver
role-admin = admin
refused-title = This was not done
back-to-batch = Back to the batch
err-total-no-match = the total you typed, { $typed }, does not match this batch. Count it again from your own figures and type it again.
err-total-differs-sum = the total you typed, { $typed }, does not match: this file's amounts add up to { $sum }. Check the file, or type the total again.
err-total-full-count = the total you typed names { $named ->
    [one] 1 row
   *[other] { $named } rows
} that refund a whole payment apart, but { $unread } could not be read from Mercado Pago: type it again naming { $unread } apart (+ { $unread } full).
err-total-needs-currency = this file has rows in { $currencies }: type one total per currency, each with its currency (e.g. 1,234.56 BRL), one per line.
err-total-twice = two totals were typed for { $currency }: type one per currency.
err-total-missing = this file has rows in { $currency } and no total was typed for it: type one total per currency.
no-currency-name = the account's currency
total-example = 1,234.56 BRL

## What a cause code means

why-no-trusted-answer = no answer could be trusted (the refund may or may not exist)
why-unknown-refund-status = the refund has a status the tool does not know
why-refund-rejected = the refund was rejected or cancelled: no money moved
why-other-amount = refunded, but for another amount than asked
why-other-payment = refunded, but on another payment than asked
why-bad-line = a bad line in the spreadsheet
why-refunded-earlier = an earlier batch already refunded this payment
why-in-doubt-earlier = a row of an earlier batch may have refunded this payment (its answer never came): held until a read-back settles it
why-configuration = the API's host name or certificate is wrong (configuration)
why-outage = the API could not be reached (an outage)
why-payment-not-found = payment not found
why-not-refundable = the payment cannot be refunded
why-exceeds-balance = more than the payment has left
why-has-refunds = the payment already has refunds
why-other-currency = the row's currency is not the payment's
why-too-many-partials = the payment has too many partial refunds
why-too-old = payment too old to refund
why-payment-unreadable = the payment could not be read
why-wrong-payment-id = payment not found (wrong payment id?)
why-past-refund-window = payment too old to refund (past the refund window, 180 days)
why-key-used = refund not found (idempotency key already used)
why-state-allows-no-refund = the payment's state allows no refund (pending, cancelled or already fully refunded)
why-gateway-operation = invalid gateway operation
why-pix-contingency = Pix in contingency: the refund cannot be made now
why-no-balance = not enough balance in the account to refund
why-security-code-length = invalid security code length
why-no-partial-refunds = partial refunds are not supported for this payment (refund it in full)
why-amount-not-positive = amount must be positive
why-amount-not-number = amount must be a number
why-too-many-decimals = amount has too many decimals for the currency
why-amount-exceeds-left = amount exceeds what is left to refund on the payment
why-key-missing = the X-Idempotency-Key header was missing
why-already-refunded = the payment is already refunded
why-card-processor = refused by the card processor
why-splitter-id = invalid splitter id
why-token-refused = the access token was refused
why-token-may-not = the token may not refund this payment
why-not-found = not found
why-key-busy = the same key was busy at Mercado Pago
why-rate-limited = too many requests (rate limited)
why-server-failed = Mercado Pago's server failed
why-refused-without-cause = refused by the API without a cause
why-order-refunded-earlier = an earlier batch already refunded this order
why-order-in-doubt-earlier = a row of an earlier batch may have refunded this order (its answer never came): held until a read-back settles it
why-transaction-needed = the order has several payment transactions: name one in a transaction_id column
why-charged-back = the order has an open chargeback: a refund too would pay twice
why-key-too-long = the X-Idempotency-Key is longer than the Orders API takes
why-not-an-order-id = not an order id the Orders API takes (ORD and 26 characters)
why-other-accounts-order = the order belongs to another account (another access token)
why-order-not-found = order not found (wrong order id?)
why-transaction-not-found = the transaction is not one of the order's payments (wrong transaction id?)
why-order-no-partial-refunds = partial refunds are not supported for this order (refund it in full)
why-order-amount-exceeds-left = amount exceeds what is left to refund on the order's transaction
why-order-has-tips = the order has tips: only a full refund is allowed
why-order-past-window = order too old to refund (past the refund window)
why-order-refund-in-progress = another refund of the order was being processed (sent again with the same key after a pause)
why-key-used-other-request = the key was used before with another request: the row may have refunded, a read-back settles it
why-key-unchecked = Mercado Pago could not check the key and may have refunded: a read-back settles it before anything is sent again
why-order-token-may-not = the token's account may not refund this order
why-order-already-refunded = the order is already fully refunded
why-order-state-allows-no-refund = the order's status allows no refund (only processed orders)
why-order-has-cashout = the order includes a cash withdrawal (cashout): only a full refund is allowed

## The finished page, the same file twice, downloads

repeat-title = This file repeats refunds already made
repeat-intro = Earlier batches refunded, or may have refunded, rows of this file: { $count } in all.
repeat-batch = batch “{ $batch }”, last sent on { $when } ({ $zone }): { $rows } of these rows
repeat-batch-no-date = batch “{ $batch }”: { $rows } of these rows
repeat-why = These rows are not refunded again, but submitting this file would put the same money in a second batch, counted twice in any report made from the list of batches. Submit it only if that is what you mean, ticking the confirmation under the total.
repeat-confirm = I know that earlier batches refunded rows of this file ({ $count } in all), and I submit it anyway.
repeat-rows-note = A line that repeats a row an earlier batch sent is not sent again: its money is that batch's.
err-repeat-not-confirmed = earlier batches refunded, or may have refunded, rows of this file ({ $count } in all): to submit it anyway, tick the confirmation under the total. Nothing was submitted.
sum-title = What became of each row
sum-col-part = Result
sum-col-rows = Rows
sum-col-money = Money per currency
sum-refunded = Refunded
sum-refunded-what = the refund exists at Mercado Pago (done, or being processed: its status says which)
sum-failed = Failed
sum-failed-what = Mercado Pago refused the refund, or every attempt failed: no money moved; the causes below say what to do
sum-in-doubt = In doubt
sum-in-doubt-what = a request may have refunded but its answer never came: check with Mercado Pago before sending anything again
sum-not-sent = Not sent
sum-not-sent-what = bad lines, lines held back because an earlier batch refunded their payment, and lines still to send: no money moved
sum-total = All rows
sum-causes-title = Causes: what they mean and what to do
sum-cause-unknown = a code this tool does not know: Mercado Pago's own message is on the results page
sum-too-large = (too large)
said-uploaded = File received: check its plan below.
said-submitted = Submitted: it now waits for someone else to approve it.
said-approved = Approved: it can be sent now, or tonight.
said-rejected = Rejected: the reason is kept with the batch.
said-sent = Sending started: this page follows it to the end.
said-canary = Sending the first rows started: check their answers before sending the rest.
said-retried = The failed rows are being sent again: this page follows them to the end.
said-stopped = Stop asked: no more rows are sent once those under way are answered; the rest can be sent later.
col-last-attempt-at = Last sent ({ $zone })
results-download-people = Download these rows ({ $which }) for Excel, in English

## Audit and leftovers
audit-login-ok = Logged in
audit-login-failed = Login refused
audit-login-throttled = Login paused after failures
audit-logout = Logged out
audit-upload = Uploaded a file
audit-upload-refused = Upload refused
audit-audit-download = Downloaded the audit trail
audit-submit = Asked for approval
audit-approve = Approved
audit-reject = Rejected
audit-send = Sent
audit-stop = Stopped sending
audit-interrupted = Sending interrupted (the console stopped)
audit-results-download = Downloaded results
audit-retry = Retried the failed rows
audit-reconcile = Reconciled with Mercado Pago
audit-reconcile-download = Downloaded the reconciliation
audit-report = Matched a Mercado Pago report
audit-report-refused = Report refused
audit-report-download = Downloaded the report match
audit-decision-refused = Decision refused
audit-upload-removed = Uploaded file removed
audit-step-refused = Step refused
audit-why-forged = the form did not come from this session's page (an old tab, or a forged request)
audit-why-role = the account's role may not take this step
audit-why-wrong-total = the typed total does not match
audit-why-not-confirmed = earlier batches refunded rows of this file and it was not confirmed
audit-why-bad-lines = the file has bad lines and was not uploaded to skip them
audit-refused-detail = { $step }: { $why }
audit-folded = { $count ->
    [one] once
   *[other] { $count } times
}, from { $first } to { $last }
audit-folded-note = One account's logins of one kind on one day are one line, which says how many.
audit-col-code = Code
audit-col-batch-id = Batch id
typed-full = { $count ->
    [one] full
   *[other] full
}
audit-detail-upload = { $file }: { $rows ->
    [one] one row
   *[other] { $rows } rows
} (good: { $valid }, bad: { $invalid }), { $bytes } bytes
audit-detail-skipping = bad lines skipped
audit-detail-total = total { $total }
audit-detail-repeated = { $count ->
    [one] confirmed: one row refunded by earlier batches
   *[other] confirmed: { $count } rows refunded by earlier batches
}
audit-detail-ledger = batch { $batch } in the state file
audit-detail-canary = { $count ->
    [one] the first row only
   *[other] the first { $count } rows only
}
audit-detail-night = by the night send (mprefund run --approved)
audit-detail-interrupted = the process sending it ended before the batch did; sending it again resumes it with the same keys
audit-detail-results-file = results file for other systems, in { $format ->
    [mp-batch] Mercado Pago's batch columns
   *[other] the tool's own columns
}
audit-detail-results-people = the rows for Excel — { $which }, { $lang }
audit-detail-retry = { $count ->
    [one] one failed row
   *[other] { $count } failed rows
}
audit-detail-own-batch = the batch is the account's own
audit-detail-wrong-password = wrong password
audit-detail-no-account = no such account, or it is disabled
audit-detail-removed = { $file }: { $days ->
    [one] one day
   *[other] { $days } days
} after its batch ended ({ $when })
find-name-matched = Matched
find-name-settled = Settled since
find-name-rejected-later = Rejected later
find-name-missing-at-mp = Missing at Mercado Pago
find-name-amount-differs = Amount differs
find-name-outside-refund = Refund made elsewhere
find-name-unknown-outcome-found = Lost answer, refund found
find-name-no-refund = No refund
find-name-in-doubt = Still in doubt
find-name-unreadable = Payment not read
rep-name-matched = In the report
rep-name-matched-ambiguous = In the report, ambiguous
rep-name-amount-differs = Another amount in the report
rep-name-missing-in-report = Missing from the report
rep-name-not-in-batch = Not made by the batch
rep-name-chargeback = Chargeback on a refunded payment
rep-name-out-of-period = Outside the report's period
rep-name-reserve = Reserve for a refund
send-tonight-next = Or leave it for tonight: if whoever runs this console has scheduled the night send, it sends every approved batch, this one too. Its page then shows what became of each row.
operator-title = For whoever runs the console
operator-night = The night send is the command below, run on the console's machine with its job file (the shipped jobs/mprefund-approved.timer runs it at 03:00). This batch is { $batch } in the state file.
money-account-note = Amounts with no currency sign are in the Mercado Pago account's currency: the file has no currency column.
