# Las palabras de la consola en español.
# Each message is keyed by its `M` name in kebab-case (src/web/i18n/mod.rs);
# a `why-` message is the meaning of a cause code. Variables ($count, $file…)
# are named in mod.rs beside the key; a test fails when a message is missing.

## Messages

progress-refunded = Dinero devuelto:

console = consola mprefund
nav-batches = Lotes
nav-audit = Registro de auditoría
log-out = Cerrar sesión
language = Idioma
login-title = Iniciar sesión
login-intro = Devoluciones desde una planilla: cárguela, revise el plan y pida la aprobación.
login-wrong = Cuenta o contraseña incorrectas.
login-wait = Demasiados intentos fallidos para esta cuenta: vuelva a intentarlo en { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
}.
login-rate = Demasiados intentos de acceso desde aquí o con este nombre: vuelva a intentarlo en { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
}.
login-busy = La consola está ocupada verificando otros accesos: vuelva a intentarlo en unos segundos.
login-too-long = Ninguna cuenta tiene un nombre tan largo: los nombres tienen como máximo { $max } caracteres.
login-account = Cuenta
login-password = Contraseña
home-upload-title = Cargar una planilla
home-upload-intro = Un archivo CSV (coma, punto y coma o tabulación), de hasta { $mib } MiB, con una columna de ID de pago y una de monto. Nada se envía desde aquí: primero verá el plan.
home-skip-invalid = Omitir las líneas con errores (devolver solo las correctas)
home-upload-button = Cargar y revisar
home-batches = Lotes
home-no-batch = Todavía no hay lotes.
col-file = Archivo
col-uploaded-by = Cargado por
col-when = Cuándo ({ $zone })
col-state = Estado
batch-uploaded = Cargado por { $who } el { $when } ({ $zone }), { $bytes } bytes.
batch-skipping = Las líneas con errores se omitirán.
batch-rows = { $count ->
    [one] fila
   *[other] filas
}
batch-good = { $count ->
    [one] correcta
   *[other] correctas
}
batch-bad = con errores
batch-already-refunded = { $count ->
    [one] ya devuelta por lotes anteriores
   *[other] ya devueltas por lotes anteriores
}
batch-blank = { $count ->
    [one] línea en blanco omitida
   *[other] líneas en blanco omitidas
}
money-title = Montos por moneda
money-none = Nada que devolver: ninguna fila correcta.
col-currency = Moneda
col-rows-with-amount = Filas con monto
col-sum = Suma de esos montos
col-full-refunds = Devoluciones totales
money-full-note = Una devolución total devuelve lo que queda del pago: su monto solo se conoce al enviarlo, por eso no está en la suma.
bad-lines-title = Líneas con errores ({ $count })
bad-lines-intro = Estas líneas no se devuelven tal como están. Corríjalas en la planilla y vuelva a cargarla
bad-lines-or-skip = , o siga sin ellas.
bad-lines-or-tick = , o vuelva a cargarla marcando “omitir las líneas con errores”.
col-line = Línea
col-what-to-fix = Qué corregir
prior-title = Ya devueltas por un lote anterior ({ $count })
prior-intro = El pago de cada una de estas líneas ya tiene una devolución de un lote anterior: se retienen, para que ningún pago se devuelva dos veces por error.
col-payment = Pago
col-earlier-refund = La devolución anterior
read-title = Cómo se leyó el archivo
read-encoding = Codificación
read-delimiter = Separador
read-columns = Columnas
col-taken-as = Tomada como
col-header-cell = Encabezado
col-column = Columna
read-none = (ninguna)
prior-refunded = { $amount } devuelto el { $when }, en el lote “{ $batch }”
prior-in-process = { $amount } en devolución desde el { $when }, en el lote “{ $batch }”
prior-in-doubt = { $amount } puede haberse devuelto el { $when } (la respuesta nunca llegó), en el lote “{ $batch }”
prior-waiting = { $amount } esperando el envío, en el lote “{ $batch }”
prior-other = { $amount } ({ $state }) el { $when }, en el lote “{ $batch }”
prior-whole = el pago completo
file-no-column = { $file }: no hay columna de { $column }. Encabezado leído: { $header }. Dé a la columna uno de estos nombres: { $names }.
file-looks-like-data = {" "}La primera línea parece de datos: el archivo necesita una fila de encabezado.
file-empty = { $file } está vacío: necesita una fila de encabezado con una columna de ID de pago y una de monto.
file-unclosed-quote = { $file }, línea { $line }: una comilla abierta en esta línea nunca se cierra, y todas las líneas siguientes se leerían como una sola celda: cierre o quite la comilla.
read-enc-utf8 = UTF-8
read-enc-utf8-bom = UTF-8 con BOM
read-enc1252 = Windows-1252 (no es UTF-8; acentos leídos como los grabó Excel)
read-delim-comma = coma (,)
read-delim-semicolon = punto y coma (;)
read-delim-tab = tabulación
role-name-payment-id = ID de pago
role-name-order-id = ID de la orden
role-name-transaction-id = ID de transacción de la orden
role-name-amount = monto
role-name-reference = referencia
role-name-kind = tipo
role-name-currency = moneda
find-field-count = la línea tiene { $got } celdas, pero el encabezado tiene { $want }
find-field-count-comma = {" "}(una celda con coma, como una coma decimal, debe ir entre comillas)
find-swallowed = la columna “{ $column }” ocupa varias líneas y contiene lo que parecen otras filas: ¿una comilla abierta en la línea { $line } se cerró demasiado tarde? Esas filas se perderían.
find-undefined-byte = la columna “{ $column }” tiene un byte (0x{ $byte }) que no es UTF-8 ni Windows-1252: guarde el archivo de nuevo como “CSV UTF-8”
find-amount-blank = el monto está en blanco: escriba el monto a devolver, o “total” para devolver el pago completo
find-amount-not-a-number = el monto “{ $cell }” no es un número
find-amount-not-positive = el monto “{ $cell }” debe ser mayor que cero
find-amount-signed = escriba el monto “{ $cell }” sin signo
find-amount-scientific = el monto “{ $cell }” está en notación científica: escriba el número simple (p. ej. 1500,00)
find-amount-not-plain = el monto “{ $cell }” debe ser un número simple, sin símbolo de moneda ni letras
find-amount-separator = el monto “{ $cell }” tiene un separador de miles que no se puede leer: escríbalo sin separador (p. ej. 1234,56)
find-amount-separator-unclear = el monto “{ $cell }” tiene un separador de miles, y los montos del archivo no muestran cuál signo es el decimal: escríbalo sin separador (p. ej. 1234,56)
find-amount-decimals = el monto “{ $cell }” tiene demasiados decimales: como máximo { $max }
find-amount-no-decimals = el monto “{ $cell }” tiene decimales, que { $currency } no tiene
find-amount-thousands-hint = {" "}(si el “{ $mark }” separa los miles, quítelo)
find-amount-too-large = el monto “{ $cell }” es demasiado grande
find-amount-zero = el monto “{ $cell }” es cero: nada que devolver
find-payment-id-blank = el ID de pago está en blanco
find-payment-id-scientific = el ID de pago { $id } está en notación científica (la planilla lo reformateó): dé formato de texto a la columna y exporte de nuevo
find-payment-id-not-number = el ID de pago { $id } no es un número entero positivo
find-payment-id-too-long = el ID de pago { $id } es demasiado largo
find-payment-id-range = el ID de pago { $id } es mayor que cualquier ID de pago
find-ids-blank = el ID de pago y el ID de la orden están en blanco
find-duplicate = repite la línea { $line } (mismo pago, monto y referencia): borre una de ellas, o dé a cada una su propia referencia
find-currency = la moneda “{ $cell }” no es una de las que usa Mercado Pago
find-kind = el tipo “{ $cell }” no es “payment”, “advanced_payment” ni “order”
find-order = la orden de esta línea no se puede devolver como está escrita
bytes = bytes
audit-title = Registro de auditoría
audit-intro = Cada inicio de sesión, carga y paso, de los más recientes a los más antiguos (los últimos { $count }). Nada aquí se puede editar ni borrar.
audit-download = Descargar todo en CSV
audit-nothing = Nada todavía.
col-account = Cuenta
col-what = Qué
col-from = Desde
col-batch = Lote
col-detail = Detalle
problem-title = Problema
not-found-title = No encontrado
not-found-text = Ese lote o página no existe. Quizás la dirección se escribió mal; la lista de lotes está en la primera página.
first-page = Primera página
empty-title = El archivo está vacío
empty-text = No tiene ningún byte. Exporte la planilla de nuevo como CSV, con su fila de encabezado, y suba ese archivo.
workbook-title = Esto es un libro de Excel, no un archivo CSV
workbook-text = Ábralo en Excel (o LibreOffice) y guárdelo como CSV: Archivo → Guardar como → CSV UTF-8 (delimitado por comas). Luego suba el archivo .csv.
no-file-title = No se eligió ningún archivo
no-file-text = Elija el archivo CSV y luego cárguelo.
unreadable-title = El archivo no se puede leer como una planilla de devoluciones
unreadable-text = No se guardó nada. Lo que encontró la lectura:
removed-title = La planilla de este lote fue eliminada
removed-text = Las planillas cargadas se guardan unos días después del fin del lote y luego se eliminan. El lote, sus resultados y el registro de auditoría se conservan.
back-to-batches = Volver a los lotes
err-no-batch = no existe ese lote
err-not-found = no encontrado
err-not-logged-in = no has iniciado sesión (o la sesión terminó): entra en /login
err-csrf = falta el código de seguridad del formulario o es incorrecto: recargue la página e inténtelo de nuevo
err-origin = esta solicitud vino de una página que no es de la consola y fue rechazada: abra la consola y hágalo allí
err-role = el rol de tu cuenta no permite hacer esto
err-cannot-submit = el lote está { $state }: ahora no se puede pedir su aprobación
err-cannot-decide = el lote está { $state }: no se puede aprobar ni rechazar ahora
err-not-sendable = el lote está { $state }: solo se envía un lote aprobado
err-being-sent = el lote ya se está enviando
err-not-being-sent = el lote no se está enviando
err-canary = canary={ $value }: el número de filas a enviar primero, 1 o más
err-no-token-send = esta consola se inició sin el token de acceso de Mercado Pago, así que no puede enviar: un administrador debe reiniciarla con el token de la cuenta
err-no-token-approve = esta consola se inició sin el token de acceso de Mercado Pago, así que no puede preparar el lote para el envío; no se aprobó nada. Un administrador debe reiniciarla con el token de la cuenta
err-submitted-already = la aprobación de este lote ya fue pedida
err-decided-already = el lote ya fue decidido
err-own-batch = usted pidió la aprobación de este lote: otra persona lo aprueba o rechaza
err-say-why = di por qué se rechaza el lote
err-bad-lines = el archivo tiene { $count ->
    [one] 1 línea con errores: corríjala
   *[other] { $count } líneas con errores: corríjalas
} y cargue el archivo de nuevo, o cárguelo marcando "omitir las líneas con errores"
err-total-differs = el total no coincide: { $detail }
err-not-approved = no aprobado: { $detail }
err-sent-already = el lote ya fue enviado
err-type-total = escriba el total que espera, por moneda (p. ej.: 1.234,56 ARS)
err-bad-total = { $typed } no es un total que la consola pueda leer: escríbalo como lo muestra el plan, p. ej.: 1.234,56 ARS o 1234.56:ARS; las filas de pago entero que no se pudieron leer van aparte: + 2 totales
err-too-large = el archivo supera los { $mib } MiB
err-unknown-language = idioma desconocido
err-internal = algo falló en el servidor; el registro dice qué
err-no-results = el lote todavía no tiene resultados: no se envió
err-filter = filtro: all, failed, needs-person o refunded
err-page = página: un número de página, 1 o más
err-format = formato: mprefund o mp-batch
err-not-retryable = el lote está { $state }: solo se reintenta un lote terminado o detenido
err-retry-pending = { $count ->
    [one] queda 1 fila
   *[other] quedan { $count } filas
} por enviar: envíe primero el resto (enviar ahora); no se reintentó nada
err-nothing-to-retry = no hay filas fallidas para reintentar (una fila que falló definitivamente necesita a una persona)
err-books-while-sending = el lote se está enviando: concílielo con Mercado Pago cuando termine
err-books-not-sent = el lote está { $state }: todavía no se envió nada, así que no hay nada que cotejar con Mercado Pago
err-no-token-books = esta consola se inició sin el token de acceso de Mercado Pago, así que no puede conciliar con Mercado Pago: un administrador debe reiniciarla con el token de la cuenta
err-books-reading = este lote ya se está cotejando con Mercado Pago
err-books-not-read = este lote todavía no se cotejó con Mercado Pago
err-no-report-match = todavía no se cotejó ningún reporte de Mercado Pago con este lote
err-being-reconciled = este lote se está cotejando con Mercado Pago: envíelo cuando termine; no se envió nada
causes-title = Por qué algunas filas no se devolvieron
col-cause = Causa
col-meaning = Qué significa
col-next = Qué hacer
next-retry = reintentar: volver a enviar con la misma clave es seguro
next-reconcile = conciliar: consultar la devolución en Mercado Pago más tarde
next-fix-row = corregir la fila en la planilla y volver a cargarla
next-needs-person = requiere una persona: revise el pago en Mercado Pago
next-nothing = nada que hacer
books-link = Conciliación: cotejar con Mercado Pago, o con un reporte
books-title = Conciliación
books-intro = Vuelve a leer en Mercado Pago cada pago del lote y compara sus devoluciones con lo que hizo el lote. No se envía nada; una devolución que se aprobó o se rechazó después queda anotada en su fila.
books-button = Cotejar ahora
books-again = Cotejar de nuevo
books-none = Todavía sin cotejar.
books-working = Cotejando… Esta página se actualiza sola; un lote grande tarda (una consulta por pago, al ritmo de la consola).
books-started-by = Iniciada por { $who } el { $when } ({ $zone }).
books-done-by = Cotejado por { $who } el { $when } ({ $zone }).
books-agree = Todo coincide: nada que hacer.
books-disagree = Algunas líneas no coinciden: abajo, qué significa cada hallazgo y qué hacer.
books-stopped = Se detuvo antes del final ({ $why }): no se cambió nada. Cotéjelo de nuevo.
books-updated = { $count ->
    [one] 1 fila actualizada: su devolución
   *[other] { $count } filas actualizadas: su devolución
} se aprobó o se rechazó después.
books-failed = No se pudo cotejar:
books-download = Descargar la conciliación (CSV)
books-first-lines = Las primeras { $shown } de { $total } líneas.
col-finding = Hallazgo
col-lines = Líneas
col-money = Importe
col-row = Fila del lote
col-refund = Devolución
col-ours = Importe del lote
col-at-mp = En Mercado Pago
col-mp-status = Estado allí
report-title = Cotejar con un reporte de Mercado Pago
report-intro = Cargue un reporte de liquidaciones o de liberaciones (CSV, hasta { $mib } MiB), tal como se descarga de Mercado Pago: cada línea sobre los pagos del lote se empareja con las devoluciones del lote. No se envía nada a Mercado Pago.
report-button = Cargar y cotejar
report-none = Todavía no se cotejó ningún reporte.
report-download = Descargar el último cotejo (CSV)
report-done = { $report }, cotejado por { $who } el { $when } ({ $zone }).
report-outside = Ninguna línea del reporte cae en el período del lote: use el reporte de los días en que se envió el lote.
report-period = El reporte cubre del { $from } al { $to }.
col-report = Reporte
col-report-type = Tipo
col-per-batch = Según el lote
col-per-report = Según el reporte
not-a-report-title = El archivo no se puede leer como un reporte de Mercado Pago
not-a-report-text = No se cotejó nada. Cargue el reporte de liquidaciones o de liberaciones tal como lo entrega Mercado Pago (CSV). Lo que encontró el lector:
find-matched = La devolución está en Mercado Pago con el mismo id, importe y estado.
find-matched-next = nada que hacer
find-settled = La devolución estaba en proceso; Mercado Pago la aprobó después (la fila ahora está devuelta).
find-settled-next = nada que hacer
find-rejected-later = La devolución se hizo y luego fue cancelada o rechazada en Mercado Pago: el dinero no volvió (la fila ahora falló).
find-rejected-later-next = vea el motivo en el panel de Mercado Pago; devuélvalo de nuevo en un lote nuevo si todavía se debe
find-missing-at-mp = El lote dice devuelto, pero el pago no muestra esa devolución.
find-missing-at-mp-next = una persona revisa el pago en el panel de Mercado Pago antes de volver a enviar nada
find-amount-differs = La devolución está allí con otro importe que el del lote.
find-amount-differs-next = una persona compara los dos importes en el panel; devuelva la diferencia a mano si se debe
find-outside-refund = Una devolución en un pago del lote que ningún lote de esta consola hizo (a mano, u otra herramienta).
find-outside-refund-next = compruebe que el cliente no recibió la devolución dos veces
find-unknown-outcome-found = La fila se envió y su respuesta se perdió; el pago muestra una devolución de su importe.
find-unknown-outcome-found-next = envíe el lote de nuevo: la misma clave repite esa devolución, nada se paga dos veces
find-no-refund = No se devolvió nada para la fila, y Mercado Pago coincide.
find-no-refund-next = nada que hacer (vea la causa de la fila en la página del lote)
find-in-doubt = La fila puede haber sido devuelta (su respuesta nunca llegó) y el pago aún no muestra una devolución de ella; se leyó demasiado pronto para decir que no se hizo ninguna.
find-in-doubt-next = vuelva a conciliar más tarde: pasado el tiempo de espera, ninguna devolución encontrada significa que no se hizo ninguna
find-unreadable = No se pudo leer el pago en Mercado Pago.
find-unreadable-next = cotéjelo de nuevo más tarde
rep-matched = El reporte muestra la devolución del lote, mismo pago e importe.
rep-matched-next = nada que hacer
rep-matched-ambiguous = Emparejada, pero el pago tiene otra devolución del mismo importe que podría ser ella (de la más antigua a la más nueva).
rep-matched-ambiguous-next = nada que hacer, salvo que los totales difieran
rep-amount-differs = El reporte muestra la devolución del lote con otro importe.
rep-amount-differs-next = una persona compara los importes en el panel
rep-missing-in-report = Una devolución del lote, hecha bien dentro del período del reporte, que ninguna línea muestra.
rep-missing-in-report-next = coteje con Mercado Pago (conciliación) y compruebe que el reporte cubre todo el período
rep-not-in-batch = Una devolución en un pago del lote que el lote no hizo.
rep-not-in-batch-next = compruebe que el cliente no recibió la devolución dos veces
rep-chargeback = Un contracargo en un pago que el lote devolvió: el dinero puede salir dos veces.
rep-chargeback-next = una persona responde al contracargo o pide el dinero de vuelta
rep-out-of-period = Una devolución del lote hecha fuera del período del reporte, o demasiado cerca de sus bordes para esperarla allí.
rep-out-of-period-next = coteje con el reporte de los días en que se hizo
rep-reserve = Dinero retenido para una devolución (reporte de liberaciones), mostrado aparte.
rep-reserve-next = nada que hacer
state-uploaded = cargado
state-submitted = esperando aprobación
state-approved = aprobado
state-rejected = rechazado
state-sending = enviando
state-stopped = detenido
state-finished = terminado
state-expired = vencido
outcome-refunded = devuelto
outcome-in-process = en proceso
outcome-failed = falló
outcome-invalid = inválido
outcome-pending = pendiente
outcome-unknown = puede haber sido devuelto
results-title = Resultados
results-link = El resultado de cada fila, con filtros y descargas
filter-all = Todas
filter-failed = Fallidas
filter-needs-person = Requiere una persona
filter-refunded = Devueltas
results-filters = Fallidas: no devueltas, y nada en curso (Mercado Pago lo rechazó, o la línea es incorrecta) — y las filas que pueden haber sido devueltas, cuya respuesta nunca llegó: reintentar envía la misma clave, conciliar las lee en Mercado Pago. Requiere una persona: filas que la herramienta no termina sola — fallos definitivos, líneas incorrectas, devoluciones hechas por otro importe o en otro pago. Devueltas: la devolución existe (devuelta, o en proceso: se acredita más tarde). Las filas aún por enviar aparecen solo en Todas.
results-download = Descargar los resultados para otros sistemas (CSV, en las columnas de la herramienta)
results-download-mp = Descargar en las columnas del lote de Mercado Pago
results-none = No hay filas aquí.
results-not-yet = Este lote aún no tiene resultados: aparecen cuando se envía.
results-page = página { $page } de { $pages }
results-prev = ← anterior
results-next = siguiente →
col-amount = Importe
col-refund-id = Devolución
col-refund-status = Estado dla devolución
amount-full = devolución total
amount-full-was = devolución total: { $amount }
retry-button = Reintentar las filas fallidas ({ $count })
retry-what = Solo se envían de nuevo las filas que fallaron por un motivo pasajero, cada una con su propia clave: Mercado Pago hace cada devolución una sola vez.
flow-title = Aprobación
flow-submitted-by = Aprobación pedida por
flow-at = el { $when }
flow-expecting = , esperando { $total }
flow-rejected-by = Rechazado por
flow-approved-by = Aprobado por
flow-why = Motivo
flow-ledger-batch = Lote en el archivo de estado
flow-expired = No se aprobó dentro de { $days ->
    [one] 1 día
   *[other] { $days } días
} desde su carga: este lote venció. Cargue el archivo de nuevo para empezar otra vez.
submit-total = Total que espera, por moneda (p. ej.:
submit-total-several = ; uno por línea si hay varias)
submit-button = Pedir aprobación
approve-total = Escriba el total otra vez, por moneda, tal como lo lee en el plan de abajo
approve-button = Aprobar
reject-reason = Motivo del rechazo
reject-button = Rechazar
send-now = Enviar ahora
send-rest = Enviar ahora (el resto)
send-canary = Enviar primero { $count ->
    [one] la próxima fila
   *[other] las próximas { $count } filas
} y revisar
progress-of = de
progress-rows-done = filas procesadas
progress-rate = filas/s
progress-left = restantes
progress-full = totales
stop-button = Detener (las filas en curso terminan; el resto espera)
answered-title = Filas enviadas hasta ahora
answered-first = {" "}(las primeras { $count })
col-outcome = Resultado
col-what-happened = Qué pasó
err-total-currency = el total { $typed } está en { $typed-currency }, pero las filas de este archivo están en { $currency }: escríbalo en { $currency }
err-total-full-apart = { $count ->
    [one] 1 fila devuelve
   *[other] { $count } filas devuelven
} un pago completo que no se pudo leer en Mercado Pago, así que su monto no está en ningún total: indíquelas aparte, p. ej.: { $example }
err-cover-reading = los pagos de las filas que devuelven un pago completo todavía se están leyendo en Mercado Pago ({ $done } de { $total }): intente de nuevo en un momento
err-total-no-account = este archivo no tiene columna de moneda y la moneda de la cuenta no se pudo leer en Mercado Pago: escriba el total sin moneda, o defina `currency` en el archivo del job
cover-reading = Leyendo en Mercado Pago los pagos de las filas que devuelven un pago completo: { $done } de { $total }…
cover-to-type = El total a escribir, con todas las filas:
cover-read = Las filas que devuelven un pago completo están en él: lo que queda de cada pago, leído en Mercado Pago.
cover-unread = { $count ->
    [one] 1 fila devuelve
   *[other] { $count } filas devuelven
} un pago completo que no se pudo leer en Mercado Pago: su monto solo se conoce al enviarlas, así que el total las indica aparte (`+ { $count } totales`).
cover-account = El archivo no tiene columna de moneda: sus filas están en la moneda de la cuenta, { $currency }.
look-only = Solo consulta: esta consola se inició sin el token de acceso de Mercado Pago. Se pueden leer los planes, los resultados y la auditoría; no se puede aprobar ni enviar nada hasta que un administrador la reinicie con el token de la cuenta.
role-submitter = solicitante
role-approver = aprobador
role-admin = administrador
refused-title = Esto no se hizo
back-to-batch = Volver al lote
err-total-no-match = el total que escribió, { $typed }, no coincide con este lote. Cuéntelo de nuevo con sus propias cifras y escríbalo otra vez.
err-total-differs-sum = el total que escribió, { $typed }, no coincide: los montos de este archivo suman { $sum }. Revise el archivo o escriba el total de nuevo.
err-total-full-count = el total que escribió deja aparte { $named ->
    [one] 1 fila
   *[other] { $named } filas
} de pago entero, pero { $unread } no se pudieron leer en Mercado Pago: escríbalo de nuevo dejando { $unread } aparte (+ { $unread } totales).
err-total-needs-currency = este archivo tiene filas en { $currencies }: escriba un total por moneda, cada uno con su moneda (p. ej.: 1.234,56 ARS o 1500 CLP), uno por línea.
err-total-twice = se escribieron dos totales en { $currency }: escriba uno por moneda.
err-total-missing = este archivo tiene filas en { $currency } y no se escribió un total para esa moneda: escriba un total por moneda.
no-currency-name = moneda de la cuenta
total-example = 1.234,56 ARS

## What a cause code means

why-no-trusted-answer = ninguna respuesta confiable (la devolución puede existir o no)
why-unknown-refund-status = la devolución tiene un estado que la herramienta no conoce
why-refund-rejected = la devolución fue rechazada o cancelada: no se movió dinero
why-other-amount = devuelto, pero por otro monto que el pedido
why-other-payment = devuelto, pero en otro pago que el pedido
why-bad-line = una línea con errores en la planilla
why-in-doubt-earlier = una fila de un lote anterior puede haber devuelto este pago (su respuesta nunca llegó): retenida hasta que leer el pago en Mercado Pago lo aclare
why-refunded-earlier = un lote anterior ya devolvió este pago
why-configuration = la dirección o el certificado de la API es incorrecto (configuración)
why-outage = no se pudo acceder a la API (una interrupción)
why-payment-not-found = pago no encontrado
why-not-refundable = el pago no se puede devolver
why-exceeds-balance = más de lo que le queda al pago
why-has-refunds = el pago ya tiene devoluciones
why-other-currency = la moneda de la fila no es la del pago
why-too-many-partials = el pago tiene demasiados devoluciones parciales
why-too-old = pago demasiado antiguo para devolver
why-payment-unreadable = no se pudo consultar el pago
why-wrong-payment-id = pago no encontrado (¿ID de pago incorrecto?)
why-past-refund-window = pago demasiado antiguo para devolver (fuera del plazo de 180 días)
why-key-used = devolución no encontrada (clave de idempotencia ya usada)
why-state-allows-no-refund = el estado del pago no permite devoluciones (pendiente, cancelado o ya devuelto por completo)
why-gateway-operation = operación de gateway inválida
why-pix-contingency = Pix en contingencia: la devolución no se puede hacer ahora
why-no-balance = saldo insuficiente en la cuenta para devolver
why-security-code-length = longitud del código de seguridad inválida
why-no-partial-refunds = este pago no admite devoluciones parciales (devuélvalo por completo)
why-amount-not-positive = el monto debe ser positivo
why-amount-not-number = el monto debe ser un número
why-too-many-decimals = el monto tiene demasiados decimales para la moneda
why-amount-exceeds-left = el monto supera lo que queda por devolver del pago
why-key-missing = faltó el encabezado X-Idempotency-Key
why-already-refunded = el pago ya está devuelto
why-card-processor = rechazado por el procesador de la tarjeta
why-splitter-id = ID de splitter inválido
why-token-refused = el token de acceso fue rechazado
why-token-may-not = el token no puede devolver este pago
why-not-found = no encontrado
why-key-busy = la misma clave estaba ocupada en Mercado Pago
why-rate-limited = demasiadas solicitudes (límite de tasa)
why-server-failed = el servidor de Mercado Pago falló
why-refused-without-cause = rechazado por la API sin causa
why-transaction-needed = la orden tiene varias transacciones de pago: indica una en una columna transaction_id
why-order-refunded-earlier = un lote anterior ya devolvió esta orden
why-order-in-doubt-earlier = una fila de un lote anterior pudo haber devuelto esta orden (su respuesta nunca llegó): retenida hasta que la lectura de la orden en Mercado Pago lo aclare
why-key-too-long = el X-Idempotency-Key es más largo de lo que acepta la API de órdenes
why-not-an-order-id = no es un ID de orden que acepte la API de órdenes (ORD y 26 caracteres)
why-other-accounts-order = la orden pertenece a otra cuenta (otro token de acceso)
why-order-not-found = orden no encontrada (¿ID de orden equivocado?)
why-transaction-not-found = la transacción no es uno de los pagos de la orden (¿ID de transacción equivocado?)
why-order-no-partial-refunds = esta orden no admite devoluciones parciales (devuélvala completa)
why-order-amount-exceeds-left = el monto supera lo que queda por devolver en la transacción de la orden
why-order-has-tips = la orden tiene propina: solo se permite la devolución total
why-order-past-window = orden demasiado antigua para devolver (fuera del plazo de devolución)
why-order-refund-in-progress = otra devolución de la orden se estaba procesando (reenviada con la misma clave tras una pausa)
why-key-used-other-request = la clave ya se usó con otra solicitud: la fila pudo haber sido devuelta, la lectura de la orden lo aclara
why-key-unchecked = Mercado Pago no pudo verificar la clave y pudo haber hecho la devolución: la lectura de la orden lo aclara antes de cualquier nuevo envío
why-order-token-may-not = la cuenta del token no puede devolver esta orden
why-order-already-refunded = la orden ya fue devuelta por completo
why-order-state-allows-no-refund = el estado de la orden no permite devolución (solo órdenes procesadas)
why-order-has-cashout = la orden incluye un retiro de efectivo (cashout): solo se permite la devolución total
why-charged-back = la orden tiene un contracargo abierto: una devolución también pagaría dos veces

## The finished page, the same file twice, downloads

repeat-title = Este archivo repite devoluciones ya hechas
repeat-intro = Lotes anteriores ya devolvieron, o pueden haber devuelto, filas de este archivo: { $count } en total.
repeat-batch = lote “{ $batch }”, enviado por última vez el { $when } ({ $zone }): { $rows } de estas filas
repeat-batch-no-date = lote “{ $batch }”: { $rows } de estas filas
repeat-why = Estas filas no se devuelven de nuevo, pero pedir aprobación para este archivo pondría el mismo dinero en un segundo lote, contado dos veces en cualquier informe hecho a partir de la lista de lotes. Pida la aprobación solo si esa es la intención, marcando la confirmación debajo del total.
repeat-confirm = Sé que lotes anteriores ya devolvieron filas de este archivo ({ $count } en total) y pido la aprobación de todos modos.
repeat-rows-note = Una fila que repite una fila ya enviada por un lote anterior no se envía de nuevo: su dinero es de ese lote.
err-repeat-not-confirmed = lotes anteriores ya devolvieron, o pueden haber devuelto, filas de este archivo ({ $count } en total): para pedir la aprobación de todos modos, marque la confirmación debajo del total. No se pidió ninguna aprobación.
sum-title = Qué pasó con cada fila
sum-col-part = Resultado
sum-col-rows = Filas
sum-col-money = Monto por moneda
sum-refunded = Devueltas
sum-refunded-what = la devolución existe en Mercado Pago (hecha o en proceso: su estado dice cuál)
sum-failed = Fallidas
sum-failed-what = Mercado Pago rechazó la devolución, o todos los intentos fallaron: no salió dinero; las causas de abajo dicen qué hacer
sum-in-doubt = En duda
sum-in-doubt-what = una solicitud puede haber devuelto, pero su respuesta nunca llegó: verifique con Mercado Pago antes de enviar nada de nuevo
sum-not-sent = No enviadas
sum-not-sent-what = filas con error, filas retenidas porque un lote anterior ya devolvió el pago, y filas aún por enviar: no salió dinero
sum-total = Todas las filas
sum-causes-title = Causas: qué significan y qué hacer
sum-cause-unknown = un código que esta herramienta no conoce: el mensaje del propio Mercado Pago está en la página de resultados
sum-too-large = (demasiado grande)
said-uploaded = Archivo recibido: revise su plan abajo.
said-submitted = Aprobación pedida: ahora espera que otra persona lo apruebe.
said-approved = Aprobado: puede enviarse ahora, o esta noche.
said-rejected = Rechazado: el motivo queda registrado en el lote.
said-sent = Envío iniciado: esta página lo sigue hasta el final.
said-canary = Envío de las primeras filas iniciado: revise sus respuestas antes de enviar el resto.
said-retried = Las filas fallidas se están enviando de nuevo: esta página las sigue hasta el final.
said-stopped = Detención pedida: no se envían más filas una vez respondidas las que están en curso; el resto puede enviarse después.
col-last-attempt-at = Último envío ({ $zone })
results-download-people = Descargar estas filas ({ $which }) para Excel, en español

## Audit and leftovers
audit-login-ok = Inició sesión
audit-login-failed = Inicio de sesión rechazado
audit-login-throttled = Inicio de sesión en pausa tras fallos
audit-logout = Cerró sesión
audit-upload = Cargó un archivo
audit-upload-refused = Carga rechazada
audit-audit-download = Descargó el registro de auditoría
audit-submit = Pidió aprobación
audit-approve = Aprobó
audit-reject = Rechazó
audit-send = Envió
audit-stop = Detuvo el envío
audit-interrupted = Envío interrumpido (la consola se detuvo)
audit-results-download = Descargó los resultados
audit-retry = Reintentó las filas con fallo
audit-reconcile = Concilió con Mercado Pago
audit-reconcile-download = Descargó la conciliación
audit-report = Cotejó un informe de Mercado Pago
audit-report-refused = Informe rechazado
audit-report-download = Descargó el cotejo con el informe
audit-decision-refused = Decisión rechazada
audit-upload-removed = Archivo cargado eliminado
audit-step-refused = Paso rechazado
audit-why-forged = el formulario no vino de la página de esta sesión (una pestaña antigua, o una solicitud falsificada)
audit-why-role = el rol de la cuenta no permite este paso
audit-why-wrong-total = el total escrito no coincide
audit-why-not-confirmed = lotes anteriores ya devolvieron filas de este archivo y no se confirmó
audit-why-bad-lines = el archivo tiene líneas con errores y no se cargó para omitirlas
audit-refused-detail = { $step }: { $why }
audit-folded = { $count ->
    [one] una vez
   *[other] { $count } veces
}, de { $first } a { $last }
audit-folded-note = Los inicios de sesión de una cuenta, de un mismo tipo y día, aparecen en una sola línea, que dice cuántos fueron.
audit-col-code = Código
audit-col-batch-id = Identificador del lote
typed-full = { $count ->
    [one] total
   *[other] totales
}
audit-detail-upload = { $file }: { $rows ->
    [one] una fila
   *[other] { $rows } filas
} (correctas: { $valid }, con errores: { $invalid }), { $bytes } bytes
audit-detail-skipping = filas con errores omitidas
audit-detail-total = total { $total }
audit-detail-repeated = { $count ->
    [one] confirmado: una fila ya devuelta por lotes anteriores
   *[other] confirmado: { $count } filas ya devueltas por lotes anteriores
}
audit-detail-ledger = lote { $batch } en el archivo de estado
audit-detail-canary = { $count ->
    [one] solo la primera fila
   *[other] solo las primeras { $count } filas
}
audit-detail-night = por el envío nocturno (mprefund run --approved)
audit-detail-interrupted = el proceso que lo enviaba terminó antes que el lote; enviarlo de nuevo lo retoma con las mismas claves
audit-detail-results-file = archivo de resultados para otros sistemas, { $format ->
    [mp-batch] en las columnas del lote de Mercado Pago
   *[other] en las columnas de la herramienta
}
audit-detail-results-people = las filas para Excel — { $which }, { $lang }
audit-detail-retry = { $count ->
    [one] una fila fallida
   *[other] { $count } filas fallidas
}
audit-detail-own-batch = el lote es de la propia cuenta
audit-detail-wrong-password = contraseña incorrecta
audit-detail-no-account = cuenta inexistente o desactivada
audit-detail-removed = { $file }: { $days ->
    [one] un día
   *[other] { $days } días
} después del fin del lote ({ $when })
find-name-matched = Coincide
find-name-settled = Acreditada después
find-name-rejected-later = Rechazada después
find-name-missing-at-mp = No está en Mercado Pago
find-name-amount-differs = Importe distinto
find-name-outside-refund = Devolución hecha por fuera
find-name-unknown-outcome-found = Respuesta perdida, devolución encontrada
find-name-no-refund = Sin devolución
find-name-in-doubt = Aún en duda
find-name-unreadable = Pago no leído
rep-name-matched = En el reporte
rep-name-matched-ambiguous = En el reporte, ambiguo
rep-name-amount-differs = Otro importe en el reporte
rep-name-missing-in-report = Falta en el reporte
rep-name-not-in-batch = No hecha por el lote
rep-name-chargeback = Contracargo sobre un pago devuelto
rep-name-out-of-period = Fuera del período del reporte
rep-name-reserve = Reserva para devolución
send-tonight-next = O déjelo para esta noche: si quien administra esta consola programó el envío nocturno, este envía todos los lotes aprobados, también este. Después, esta página muestra qué pasó con cada fila.
operator-title = Para quien administra la consola
operator-night = El envío nocturno es el comando de abajo, ejecutado en la máquina de la consola con el archivo del job (el jobs/mprefund-approved.timer que trae la herramienta lo ejecuta a las 03:00). Este lote es el { $batch } en el archivo de estado.
money-account-note = Los importes sin símbolo de moneda están en la moneda de la cuenta de Mercado Pago: el archivo no tiene columna de moneda.
