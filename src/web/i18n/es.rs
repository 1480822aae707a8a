//! The console's words in Spanish: messages and cause meanings.

use crate::domain::causes::Why;

use super::M;

pub(super) const ES: &[(M, &str)] = &[
    (M::Console, "consola mprefund"),
    (M::NavBatches, "Lotes"),
    (M::NavAudit, "Registro de auditoría"),
    (M::LogOut, "Cerrar sesión"),
    (M::Language, "Idioma"),
    (M::LoginTitle, "Iniciar sesión"),
    (
        M::LoginIntro,
        "Reembolsos desde una planilla: súbala, revise el plan y pida la aprobación.",
    ),
    (M::LoginWrong, "Cuenta o contraseña incorrectas."),
    (
        M::LoginWait,
        "Demasiados intentos fallidos para esta cuenta: vuelva a intentarlo en {0} segundos.",
    ),
    (
        M::LoginRate,
        "Demasiados intentos de acceso desde aquí o con este nombre: vuelva a intentarlo en {0} segundos.",
    ),
    (
        M::LoginBusy,
        "La consola está ocupada verificando otros accesos: vuelva a intentarlo en unos segundos.",
    ),
    (
        M::LoginTooLong,
        "Ninguna cuenta tiene un nombre tan largo: los nombres tienen como máximo {0} caracteres.",
    ),
    (M::LoginAccount, "Cuenta"),
    (M::LoginPassword, "Contraseña"),
    (M::HomeUploadTitle, "Subir una planilla"),
    (
        M::HomeUploadIntro,
        "Un archivo CSV (coma, punto y coma o tabulación), de hasta {0} MiB, con una columna de ID de pago y una de monto. Nada se envía desde aquí: primero verá el plan.",
    ),
    (
        M::HomeSkipInvalid,
        "Omitir las líneas con errores (enviar solo las correctas)",
    ),
    (M::HomeUploadButton, "Subir y revisar"),
    (M::HomeBatches, "Lotes"),
    (M::HomeNoBatch, "Todavía no hay lotes."),
    (M::ColFile, "Archivo"),
    (M::ColUploadedBy, "Subido por"),
    (M::ColWhen, "Cuándo ({0})"),
    (M::ColState, "Estado"),
    (M::BatchUploaded, "Subido por {0} el {1} ({2}), {3} bytes."),
    (M::BatchSkipping, "Las líneas con errores se omitirán."),
    (M::BatchRows, "filas"),
    (M::BatchGood, "correctas"),
    (M::BatchBad, "con errores"),
    (M::BatchAlreadyRefunded, "ya reembolsadas"),
    (M::BatchBlank, "líneas en blanco omitidas"),
    (M::MoneyTitle, "Montos por moneda"),
    (M::MoneyNone, "Nada que reembolsar: ninguna fila correcta."),
    (M::ColCurrency, "Moneda"),
    (M::ColRowsWithAmount, "Filas con monto"),
    (M::ColSum, "Suma de esos montos"),
    (M::ColFullRefunds, "Reembolsos totales"),
    (
        M::MoneyFullNote,
        "Un reembolso total devuelve lo que queda del pago: su monto solo se conoce al enviarlo, por eso no está en la suma.",
    ),
    (M::BadLinesTitle, "Líneas con errores ({0})"),
    (
        M::BadLinesIntro,
        "Estas líneas no se reembolsan tal como están. Corríjalas en la planilla y vuelva a subirla",
    ),
    (M::BadLinesOrSkip, ", o siga sin ellas."),
    (
        M::BadLinesOrTick,
        ", o vuelva a subirla marcando “omitir las líneas con errores”.",
    ),
    (M::ColLine, "Línea"),
    (M::ColWhatToFix, "Qué corregir"),
    (M::PriorTitle, "Ya reembolsadas por un lote anterior ({0})"),
    (
        M::PriorIntro,
        "El pago de cada una de estas líneas ya tiene un reembolso de un lote anterior: se retienen, para que ningún pago se reembolse dos veces por error.",
    ),
    (M::ColPayment, "Pago"),
    (M::ColEarlierRefund, "El reembolso anterior"),
    (M::ReadTitle, "Cómo se leyó el archivo"),
    (M::ReadEncoding, "Codificación"),
    (M::ReadDelimiter, "Separador"),
    (M::ReadColumns, "Columnas"),
    (M::ColTakenAs, "Tomada como"),
    (M::ColHeaderCell, "Encabezado"),
    (M::ColColumn, "Columna"),
    (M::ReadNone, "(ninguna)"),
    (M::PriorRefunded, "{0} devuelto el {1}, en el lote “{2}”"),
    (
        M::PriorInProcess,
        "{0} en devolución desde el {1}, en el lote “{2}”",
    ),
    (
        M::PriorInDoubt,
        "{0} puede haberse devuelto el {1} (la respuesta nunca llegó), en el lote “{2}”",
    ),
    (M::PriorWaiting, "{0} esperando el envío, en el lote “{2}”"),
    (M::PriorOther, "{0} ({3}) el {1}, en el lote “{2}”"),
    (M::PriorWhole, "el pago completo"),
    (
        M::FileNoColumn,
        "{0}: no hay columna de {1}. Encabezado leído: {2}. Dé a la columna uno de estos nombres: {3}.",
    ),
    (
        M::FileLooksLikeData,
        " La primera línea parece de datos: el archivo necesita una fila de encabezado.",
    ),
    (
        M::FileEmpty,
        "{0} está vacío: necesita una fila de encabezado con una columna de ID de pago y una de monto.",
    ),
    (
        M::FileUnclosedQuote,
        "{0}, línea {1}: una comilla abierta en esta línea nunca se cierra, y todas las líneas siguientes se leerían como una sola celda: cierre o quite la comilla.",
    ),
    (M::ReadEncUtf8, "UTF-8"),
    (M::ReadEncUtf8Bom, "UTF-8 con BOM"),
    (
        M::ReadEnc1252,
        "Windows-1252 (no es UTF-8; acentos leídos como los grabó Excel)",
    ),
    (M::ReadDelimComma, "coma (,)"),
    (M::ReadDelimSemicolon, "punto y coma (;)"),
    (M::ReadDelimTab, "tabulación"),
    (M::RoleNamePaymentId, "ID de pago"),
    (M::RoleNameOrderId, "ID de la orden"),
    (M::RoleNameTransactionId, "ID de transacción de la orden"),
    (M::RoleNameAmount, "monto"),
    (M::RoleNameReference, "referencia"),
    (M::RoleNameKind, "tipo"),
    (M::RoleNameCurrency, "moneda"),
    (
        M::FindFieldCount,
        "la línea tiene {0} celdas, pero el encabezado tiene {1}",
    ),
    (
        M::FindFieldCountComma,
        " (una celda con coma, como una coma decimal, debe ir entre comillas)",
    ),
    (
        M::FindSwallowed,
        "la columna “{0}” ocupa varias líneas y contiene lo que parecen otras filas: ¿una comilla abierta en la línea {1} se cerró demasiado tarde? Esas filas se perderían.",
    ),
    (
        M::FindUndefinedByte,
        "la columna “{0}” tiene un byte (0x{1}) que no es UTF-8 ni Windows-1252: guarde el archivo de nuevo como “CSV UTF-8”",
    ),
    (
        M::FindAmountBlank,
        "el monto está en blanco: escriba el monto a devolver, o “total” para devolver el pago completo",
    ),
    (M::FindAmountNotANumber, "el monto “{0}” no es un número"),
    (
        M::FindAmountNotPositive,
        "el monto “{0}” debe ser mayor que cero",
    ),
    (M::FindAmountSigned, "escriba el monto “{0}” sin signo"),
    (
        M::FindAmountScientific,
        "el monto “{0}” está en notación científica: escriba el número simple (p. ej. 1500,00)",
    ),
    (
        M::FindAmountNotPlain,
        "el monto “{0}” debe ser un número simple, sin símbolo de moneda ni letras",
    ),
    (
        M::FindAmountSeparator,
        "el monto “{0}” tiene un separador de miles que no se puede leer: escríbalo sin separador (p. ej. 1234,56)",
    ),
    (
        M::FindAmountSeparatorUnclear,
        "el monto “{0}” tiene un separador de miles, y los montos del archivo no muestran cuál signo es el decimal: escríbalo sin separador (p. ej. 1234,56)",
    ),
    (
        M::FindAmountDecimals,
        "el monto “{0}” tiene demasiados decimales: como máximo {1}",
    ),
    (
        M::FindAmountNoDecimals,
        "el monto “{0}” tiene decimales, que {1} no tiene",
    ),
    (
        M::FindAmountThousandsHint,
        " (si el “{0}” separa los miles, quítelo)",
    ),
    (M::FindAmountTooLarge, "el monto “{0}” es demasiado grande"),
    (
        M::FindAmountZero,
        "el monto “{0}” es cero: nada que devolver",
    ),
    (M::FindPaymentIdBlank, "el ID de pago está en blanco"),
    (
        M::FindPaymentIdScientific,
        "el ID de pago {0} está en notación científica (la planilla lo reformateó): dé formato de texto a la columna y exporte de nuevo",
    ),
    (
        M::FindPaymentIdNotNumber,
        "el ID de pago {0} no es un número entero positivo",
    ),
    (
        M::FindPaymentIdTooLong,
        "el ID de pago {0} es demasiado largo",
    ),
    (
        M::FindPaymentIdRange,
        "el ID de pago {0} es mayor que cualquier ID de pago",
    ),
    (
        M::FindIdsBlank,
        "el ID de pago y el ID de la orden están en blanco",
    ),
    (
        M::FindDuplicate,
        "repite la línea {0} (mismo pago, monto y referencia): borre una de ellas, o dé a cada una su propia referencia",
    ),
    (
        M::FindCurrency,
        "la moneda “{0}” no es una de las que usa Mercado Pago",
    ),
    (
        M::FindKind,
        "el tipo “{0}” no es “payment”, “advanced_payment” ni “order”",
    ),
    (
        M::FindOrder,
        "la orden de esta línea no se puede devolver como está escrita",
    ),
    (M::Bytes, "bytes"),
    (M::AuditTitle, "Registro de auditoría"),
    (
        M::AuditIntro,
        "Cada inicio de sesión, carga y paso, de los más recientes a los más antiguos (los últimos {0}). Nada aquí se puede editar ni borrar.",
    ),
    (M::AuditDownload, "Descargar todo en CSV"),
    (M::AuditNothing, "Nada todavía."),
    (M::ColAccount, "Cuenta"),
    (M::ColWhat, "Qué"),
    (M::ColFrom, "Desde"),
    (M::ColBatch, "Lote"),
    (M::ColDetail, "Detalle"),
    (M::ProblemTitle, "Problema"),
    (M::NotFoundTitle, "No encontrado"),
    (
        M::NotFoundText,
        "Ese lote o página no existe. Quizás la dirección se escribió mal; la lista de lotes está en la primera página.",
    ),
    (M::FirstPage, "Primera página"),
    (M::EmptyTitle, "El archivo está vacío"),
    (
        M::EmptyText,
        "No tiene ningún byte. Exporte la planilla de nuevo como CSV, con su fila de encabezado, y suba ese archivo.",
    ),
    (
        M::WorkbookTitle,
        "Esto es un libro de Excel, no un archivo CSV",
    ),
    (
        M::WorkbookText,
        "Ábralo en Excel (o LibreOffice) y guárdelo como CSV: Archivo → Guardar como → CSV UTF-8 (delimitado por comas). Luego suba el archivo .csv.",
    ),
    (M::NoFileTitle, "No se eligió ningún archivo"),
    (M::NoFileText, "Elija el archivo CSV y luego súbalo."),
    (
        M::UnreadableTitle,
        "El archivo no se puede leer como una planilla de reembolsos",
    ),
    (
        M::UnreadableText,
        "No se guardó nada. Lo que encontró la lectura:",
    ),
    (M::RemovedTitle, "La planilla de este lote fue eliminada"),
    (
        M::RemovedText,
        "Las planillas subidas se guardan unos días después del fin del lote y luego se eliminan. El lote, sus resultados y el registro de auditoría se conservan.",
    ),
    (M::BackToBatches, "Volver a los lotes"),
    (M::ErrNoBatch, "no existe ese lote"),
    (M::ErrNotFound, "no encontrado"),
    (
        M::ErrNotLoggedIn,
        "no has iniciado sesión (o la sesión terminó): entra en /login",
    ),
    (
        M::ErrCsrf,
        "falta el código de seguridad del formulario o es incorrecto: recarga la página e inténtalo de nuevo",
    ),
    (
        M::ErrOrigin,
        "esta solicitud vino de una página que no es de la consola y fue rechazada: abre la consola y hazlo allí",
    ),
    (M::ErrRole, "el rol de tu cuenta no permite hacer esto"),
    (
        M::ErrCannotSubmit,
        "el lote está {0}: no se puede enviar a aprobación ahora",
    ),
    (
        M::ErrCannotDecide,
        "el lote está {0}: no se puede aprobar ni rechazar ahora",
    ),
    (
        M::ErrNotSendable,
        "el lote está {0}: solo se envía un lote aprobado",
    ),
    (M::ErrBeingSent, "el lote ya se está enviando"),
    (M::ErrNotBeingSent, "el lote no se está enviando"),
    (
        M::ErrCanary,
        "canary={0}: el número de filas a enviar primero, 1 o más",
    ),
    (
        M::ErrNoTokenSend,
        "la consola se inició sin token de acceso (MP_ACCESS_TOKEN o --token-file): no puede enviar",
    ),
    (
        M::ErrNoTokenApprove,
        "la consola se inició sin token de acceso (MP_ACCESS_TOKEN o --token-file), así que no puede preparar el lote para el envío; no se aprobó nada",
    ),
    (
        M::ErrSubmittedAlready,
        "el lote ya fue enviado a aprobación",
    ),
    (M::ErrDecidedAlready, "el lote ya fue decidido"),
    (
        M::ErrOwnBatch,
        "tú enviaste este lote a aprobación: otra persona lo aprueba o rechaza",
    ),
    (M::ErrSayWhy, "di por qué se rechaza el lote"),
    (
        M::ErrBadLines,
        "el archivo tiene {0} línea(s) con errores: corrígelas y vuelve a subirlo, o súbelo marcando \"omitir las líneas con errores\"",
    ),
    (M::ErrTotalDiffers, "el total no coincide: {0}"),
    (M::ErrNotApproved, "no aprobado: {0}"),
    (M::ErrSentAlready, "el lote ya fue enviado"),
    (
        M::ErrTypeTotal,
        "escriba el total que espera, por moneda (p. ej.: 1.234,56 ARS)",
    ),
    (
        M::ErrBadTotal,
        "{0} no es un total que la consola pueda leer: escríbalo como lo muestra el plan, p. ej.: 1.234,56 ARS o 1234.56:ARS; las filas de pago entero que no se pudieron leer van aparte: + 2 full",
    ),
    (M::ErrTooLarge, "el archivo supera los {0} MiB"),
    (M::ErrUnknownLanguage, "idioma desconocido"),
    (
        M::ErrInternal,
        "algo falló en el servidor; el registro dice qué",
    ),
    (
        M::ErrNoResults,
        "el lote todavía no tiene resultados: no se envió",
    ),
    (M::ErrFilter, "filtro: all, failed, needs-person o refunded"),
    (M::ErrPage, "página: un número de página, 1 o más"),
    (M::ErrFormat, "formato: mprefund o mp-batch"),
    (
        M::ErrNotRetryable,
        "el lote está {0}: solo se reintenta un lote terminado o detenido",
    ),
    (
        M::ErrRetryPending,
        "quedan {0} fila(s) por enviar: envía primero el resto (enviar ahora); no se reintentó nada",
    ),
    (
        M::ErrNothingToRetry,
        "no hay filas fallidas para reintentar (una fila que falló definitivamente necesita a una persona)",
    ),
    (
        M::ErrBooksWhileSending,
        "el lote se está enviando: cotéjalo con Mercado Pago cuando termine",
    ),
    (
        M::ErrBooksNotSent,
        "el lote está {0}: todavía no se envió nada, así que no hay nada que cotejar con Mercado Pago",
    ),
    (
        M::ErrNoTokenBooks,
        "la consola se inició sin token de acceso (MP_ACCESS_TOKEN o --token-file): no puede cotejar con Mercado Pago",
    ),
    (
        M::ErrBooksReading,
        "este lote ya se está cotejando con Mercado Pago",
    ),
    (
        M::ErrBooksNotRead,
        "este lote todavía no se cotejó con Mercado Pago",
    ),
    (
        M::ErrNoReportMatch,
        "todavía no se cotejó ningún reporte de Mercado Pago con este lote",
    ),
    (
        M::ErrBeingReconciled,
        "este lote se está cotejando con Mercado Pago: envíalo cuando termine; no se envió nada",
    ),
    (M::CausesTitle, "Por qué algunas filas no se reembolsaron"),
    (M::ColCause, "Causa"),
    (M::ColMeaning, "Qué significa"),
    (M::ColNext, "Qué hacer"),
    (
        M::NextRetry,
        "reintentar: volver a enviar con la misma clave es seguro",
    ),
    (
        M::NextReconcile,
        "conciliar: consultar el reembolso en Mercado Pago más tarde",
    ),
    (
        M::NextFixRow,
        "corregir la fila en la planilla y volver a subirla",
    ),
    (
        M::NextNeedsPerson,
        "requiere una persona: revise el pago en Mercado Pago",
    ),
    (M::NextNothing, "nada que hacer"),
    (
        M::BooksLink,
        "Conciliación: cotejar con Mercado Pago, o con un reporte",
    ),
    (M::BooksTitle, "Conciliación"),
    (
        M::BooksIntro,
        "Vuelve a leer en Mercado Pago cada pago del lote y compara sus reembolsos con lo que hizo el lote. No se envía nada; un reembolso que se aprobó o se rechazó después queda anotado en su fila.",
    ),
    (M::BooksButton, "Cotejar ahora"),
    (M::BooksAgain, "Cotejar de nuevo"),
    (M::BooksNone, "Todavía sin cotejar."),
    (
        M::BooksWorking,
        "Cotejando… Esta página se actualiza sola; un lote grande tarda (una consulta por pago, al ritmo de la consola).",
    ),
    (M::BooksStartedBy, "Iniciada por {0} el {1} ({2})."),
    (M::BooksDoneBy, "Cotejado por {0} el {1} ({2})."),
    (M::BooksAgree, "Todo coincide: nada que hacer."),
    (
        M::BooksDisagree,
        "Algunas líneas no coinciden: abajo, qué significa cada hallazgo y qué hacer.",
    ),
    (
        M::BooksStopped,
        "Se detuvo antes del final ({0}): no se cambió nada. Cotéjelo de nuevo.",
    ),
    (
        M::BooksUpdated,
        "{0} fila(s) actualizada(s): su reembolso se aprobó o se rechazó después.",
    ),
    (M::BooksFailed, "No se pudo cotejar:"),
    (M::BooksDownload, "Descargar la conciliación (CSV)"),
    (M::BooksFirstLines, "Las primeras {0} de {1} líneas."),
    (M::ColFinding, "Hallazgo"),
    (M::ColLines, "Líneas"),
    (M::ColMoney, "Importe"),
    (M::ColRow, "Fila del lote"),
    (M::ColRefund, "Reembolso"),
    (M::ColOurs, "Importe del lote"),
    (M::ColAtMp, "En Mercado Pago"),
    (M::ColMpStatus, "Estado allí"),
    (M::ReportTitle, "Cotejar con un reporte de Mercado Pago"),
    (
        M::ReportIntro,
        "Suba un reporte de liquidaciones o de liberaciones (CSV, hasta {0} MiB), tal como se descarga de Mercado Pago: cada línea sobre los pagos del lote se empareja con los reembolsos del lote. No se envía nada a Mercado Pago.",
    ),
    (M::ReportButton, "Subir y cotejar"),
    (M::ReportNone, "Todavía no se cotejó ningún reporte."),
    (M::ReportDownload, "Descargar el último cotejo (CSV)"),
    (M::ReportDone, "{0}, cotejado por {1} el {2} ({3})."),
    (
        M::ReportOutside,
        "Ninguna línea del reporte cae en el período del lote: use el reporte de los días en que se envió el lote.",
    ),
    (M::ReportPeriod, "El reporte cubre del {0} al {1}."),
    (M::ColReport, "Reporte"),
    (M::ColReportType, "Tipo"),
    (M::ColPerBatch, "Según el lote"),
    (M::ColPerReport, "Según el reporte"),
    (
        M::NotAReportTitle,
        "El archivo no se puede leer como un reporte de Mercado Pago",
    ),
    (
        M::NotAReportText,
        "No se cotejó nada. Suba el reporte de liquidaciones o de liberaciones tal como lo entrega Mercado Pago (CSV). Lo que encontró el lector:",
    ),
    (
        M::FindMatched,
        "El reembolso está en Mercado Pago con el mismo id, importe y estado.",
    ),
    (M::FindMatchedNext, "nada que hacer"),
    (
        M::FindSettled,
        "El reembolso estaba en proceso; Mercado Pago lo aprobó después (la fila ahora está reembolsada).",
    ),
    (M::FindSettledNext, "nada que hacer"),
    (
        M::FindRejectedLater,
        "El reembolso se hizo y luego fue cancelado o rechazado en Mercado Pago: el dinero no volvió (la fila ahora falló).",
    ),
    (
        M::FindRejectedLaterNext,
        "vea el motivo en el panel de Mercado Pago; reembólselo de nuevo en un lote nuevo si todavía se debe",
    ),
    (
        M::FindMissingAtMp,
        "El lote dice reembolsado, pero el pago no muestra ese reembolso.",
    ),
    (
        M::FindMissingAtMpNext,
        "una persona revisa el pago en el panel de Mercado Pago antes de volver a enviar nada",
    ),
    (
        M::FindAmountDiffers,
        "El reembolso está allí con otro importe que el del lote.",
    ),
    (
        M::FindAmountDiffersNext,
        "una persona compara los dos importes en el panel; reembolse la diferencia a mano si se debe",
    ),
    (
        M::FindOutsideRefund,
        "Un reembolso en un pago del lote que ningún lote de esta consola hizo (a mano, u otra herramienta).",
    ),
    (
        M::FindOutsideRefundNext,
        "compruebe que el cliente no recibió el reembolso dos veces",
    ),
    (
        M::FindUnknownOutcomeFound,
        "La fila se envió y su respuesta se perdió; el pago muestra un reembolso de su importe.",
    ),
    (
        M::FindUnknownOutcomeFoundNext,
        "envíe el lote de nuevo: la misma clave repite ese reembolso, nada se paga dos veces",
    ),
    (
        M::FindNoRefund,
        "No se reembolsó nada para la fila, y Mercado Pago coincide.",
    ),
    (
        M::FindNoRefundNext,
        "nada que hacer (vea la causa de la fila en la página del lote)",
    ),
    (
        M::FindInDoubt,
        "La fila puede haber sido reembolsada (su respuesta nunca llegó) y el pago aún no muestra un reembolso de ella; se leyó demasiado pronto para decir que no se hizo ninguno.",
    ),
    (
        M::FindInDoubtNext,
        "vuelva a conciliar más tarde: pasado el tiempo de espera, ningún reembolso encontrado significa que no se hizo ninguno",
    ),
    (
        M::FindUnreadable,
        "No se pudo leer el pago en Mercado Pago.",
    ),
    (M::FindUnreadableNext, "cotéjelo de nuevo más tarde"),
    (
        M::RepMatched,
        "El reporte muestra el reembolso del lote, mismo pago e importe.",
    ),
    (M::RepMatchedNext, "nada que hacer"),
    (
        M::RepMatchedAmbiguous,
        "Emparejado, pero el pago tiene otro reembolso del mismo importe que podría ser él (del más antiguo al más nuevo).",
    ),
    (
        M::RepMatchedAmbiguousNext,
        "nada que hacer, salvo que los totales difieran",
    ),
    (
        M::RepAmountDiffers,
        "El reporte muestra el reembolso del lote con otro importe.",
    ),
    (
        M::RepAmountDiffersNext,
        "una persona compara los importes en el panel",
    ),
    (
        M::RepMissingInReport,
        "Un reembolso del lote, hecho bien dentro del período del reporte, que ninguna línea muestra.",
    ),
    (
        M::RepMissingInReportNext,
        "coteje con Mercado Pago (conciliación) y compruebe que el reporte cubre todo el período",
    ),
    (
        M::RepNotInBatch,
        "Un reembolso en un pago del lote que el lote no hizo.",
    ),
    (
        M::RepNotInBatchNext,
        "compruebe que el cliente no recibió el reembolso dos veces",
    ),
    (
        M::RepChargeback,
        "Un contracargo en un pago que el lote reembolsó: el dinero puede salir dos veces.",
    ),
    (
        M::RepChargebackNext,
        "una persona disputa el contracargo o pide el dinero de vuelta",
    ),
    (
        M::RepOutOfPeriod,
        "Un reembolso del lote hecho fuera del período del reporte, o demasiado cerca de sus bordes para esperarlo allí.",
    ),
    (
        M::RepOutOfPeriodNext,
        "coteje con el reporte de los días en que se hizo",
    ),
    (
        M::RepReserve,
        "Dinero retenido para un reembolso (reporte de liberaciones), mostrado aparte.",
    ),
    (M::RepReserveNext, "nada que hacer"),
    (M::StateUploaded, "subido"),
    (M::StateSubmitted, "enviado a aprobación"),
    (M::StateApproved, "aprobado"),
    (M::StateRejected, "rechazado"),
    (M::StateSending, "enviando"),
    (M::StateStopped, "detenido"),
    (M::StateFinished, "terminado"),
    (M::StateExpired, "vencido"),
    (M::OutcomeRefunded, "reembolsado"),
    (M::OutcomeInProcess, "en proceso"),
    (M::OutcomeFailed, "falló"),
    (M::OutcomeInvalid, "inválido"),
    (M::OutcomePending, "pendiente"),
    (M::OutcomeUnknown, "puede haber sido reembolsado"),
    (M::ResultsTitle, "Resultados"),
    (
        M::ResultsLink,
        "El resultado de cada fila, con filtros y descargas",
    ),
    (M::FilterAll, "Todas"),
    (M::FilterFailed, "Fallidas"),
    (M::FilterNeedsPerson, "Requiere una persona"),
    (M::FilterRefunded, "Reembolsadas"),
    (
        M::ResultsFilters,
        "Fallidas: no reembolsadas, y nada en curso (Mercado Pago lo rechazó, o la línea es incorrecta) — y las filas que pueden haber sido reembolsadas, cuya respuesta nunca llegó: reintentar envía la misma clave, conciliar las lee en Mercado Pago. Requiere una persona: filas que la herramienta no termina sola — fallos definitivos, líneas incorrectas, reembolsos hechos por otro importe o en otro pago. Reembolsadas: el reembolso existe (reembolsado, o en proceso: se acredita más tarde). Las filas aún por enviar aparecen solo en Todas.",
    ),
    (
        M::ResultsDownload,
        "Descargar los resultados (CSV, como los escribe mprefund run)",
    ),
    (
        M::ResultsDownloadMp,
        "Descargar en las columnas del lote de Mercado Pago",
    ),
    (M::ResultsNone, "No hay filas aquí."),
    (
        M::ResultsNotYet,
        "Este lote aún no tiene resultados: aparecen cuando se envía.",
    ),
    (M::ResultsPage, "página {0} de {1}"),
    (M::ResultsPrev, "← anterior"),
    (M::ResultsNext, "siguiente →"),
    (M::ColAmount, "Importe"),
    (M::ColRefundId, "Reembolso"),
    (M::ColRefundStatus, "Estado del reembolso"),
    (M::AmountFull, "reembolso total"),
    (M::AmountFullWas, "reembolso total: {0}"),
    (M::RetryButton, "Reintentar las filas fallidas ({0})"),
    (
        M::RetryWhat,
        "Solo se envían de nuevo las filas que fallaron por un motivo pasajero, cada una con su propia clave: Mercado Pago hace cada reembolso una sola vez.",
    ),
    (M::FlowTitle, "Aprobación"),
    (M::FlowSubmittedBy, "Enviado a aprobación por"),
    (M::FlowAt, "el {0}"),
    (M::FlowExpecting, ", esperando {0}"),
    (M::FlowRejectedBy, "Rechazado por"),
    (M::FlowApprovedBy, "Aprobado por"),
    (M::FlowWhy, "Motivo"),
    (M::FlowLedgerBatch, "Lote en el archivo de estado"),
    (
        M::FlowExpired,
        "No se aprobó dentro de {0} día(s) desde su carga: este lote venció. Cargue el archivo de nuevo para empezar otra vez.",
    ),
    (M::SubmitTotal, "Total que espera, por moneda (p. ej.:"),
    (M::SubmitTotalSeveral, "; uno por línea si hay varias)"),
    (M::SubmitButton, "Enviar a aprobación"),
    (
        M::ApproveTotal,
        "Escriba el total otra vez, por moneda, tal como lo lee en el plan de abajo",
    ),
    (M::ApproveButton, "Aprobar"),
    (M::RejectReason, "Motivo del rechazo"),
    (M::RejectButton, "Rechazar"),
    (M::SendNow, "Enviar ahora"),
    (M::SendRest, "Enviar ahora (el resto)"),
    (
        M::SendCanary,
        "Enviar primero las próximas {0} filas y revisar",
    ),
    (M::SendTonight, "O déjelo para esta noche:"),
    (M::SendTonightWhat, "envía todos los lotes aprobados."),
    (M::ProgressOf, "de"),
    (M::ProgressRowsDone, "filas procesadas"),
    (M::ProgressRate, "filas/s"),
    (M::ProgressLeft, "restantes"),
    (M::ProgressFull, "totales"),
    (
        M::StopButton,
        "Detener (las filas en curso terminan; el resto espera)",
    ),
    (M::AnsweredTitle, "Filas enviadas hasta ahora"),
    (M::AnsweredFirst, " (las primeras {0})"),
    (M::ColOutcome, "Resultado"),
    (M::ColWhatHappened, "Qué pasó"),
    (
        M::ErrTotalCurrency,
        "el total {0} está en {2}, pero las filas de este archivo están en {1}: escríbalo en {1}",
    ),
    (
        M::ErrTotalFullApart,
        "{0} fila(s) reembolsan un pago completo que no se pudo leer en Mercado Pago, así que su monto no está en ningún total: indíquelas aparte, p. ej.: {1}",
    ),
    (
        M::ErrCoverReading,
        "los pagos de las filas que reembolsan un pago completo todavía se están leyendo en Mercado Pago ({0} de {1}): intente de nuevo en un momento",
    ),
    (
        M::ErrTotalNoAccount,
        "este archivo no tiene columna de moneda y la moneda de la cuenta no se pudo leer en Mercado Pago: escriba el total sin moneda, o defina `currency` en el archivo del job",
    ),
    (
        M::CoverReading,
        "Leyendo en Mercado Pago los pagos de las filas que reembolsan un pago completo: {0} de {1}…",
    ),
    (M::CoverToType, "El total a escribir, con todas las filas:"),
    (
        M::CoverRead,
        "Las filas que reembolsan un pago completo están en él: lo que queda de cada pago, leído en Mercado Pago.",
    ),
    (
        M::CoverUnread,
        "{0} fila(s) reembolsan un pago completo que no se pudo leer en Mercado Pago: su monto solo se conoce al enviarlas, así que el total las indica aparte (`+ {0} full`).",
    ),
    (
        M::CoverAccount,
        "El archivo no tiene columna de moneda: sus filas están en la moneda de la cuenta, {0}.",
    ),
    (
        M::LookOnly,
        "Solo consulta: esta consola se inició sin token de acceso (--without-token). Se pueden leer los planes, los resultados y la auditoría; no se puede aprobar ni enviar nada.",
    ),
    (M::RoleSubmitter, "solicitante"),
    (M::RoleApprover, "aprobador"),
    (M::RoleAdmin, "administrador"),
    (M::RefusedTitle, "Esto no se hizo"),
    (M::BackToBatch, "Volver al lote"),
    (
        M::ErrTotalNoMatch,
        "el total que escribió, {0}, no coincide con este lote. Cuéntelo de nuevo con sus propias cifras y escríbalo otra vez.",
    ),
    (
        M::ErrTotalDiffersSum,
        "el total que escribió, {0}, no coincide: los montos de este archivo suman {1}. Revise el archivo o escriba el total de nuevo.",
    ),
    (
        M::ErrTotalFullCount,
        "el total que escribió deja aparte {0} fila(s) de pago entero, pero {1} no se pudieron leer en Mercado Pago: escríbalo de nuevo dejando {1} aparte (+ {1} full).",
    ),
    (
        M::ErrTotalNeedsCurrency,
        "este archivo tiene filas en {0}: escriba un total por moneda, cada uno con su moneda (p. ej.: 1.234,56 ARS o 1500 CLP), uno por línea.",
    ),
    (
        M::ErrTotalTwice,
        "se escribieron dos totales en {0}: escriba uno por moneda.",
    ),
    (
        M::ErrTotalMissing,
        "este archivo tiene filas en {0} y no se escribió un total para esa moneda: escriba un total por moneda.",
    ),
    (M::NoCurrencyName, "sin moneda"),
    (M::TotalExample, "1.234,56 ARS"),
    // --- finished page, same file twice, downloads ---
    (M::RepeatTitle, "Este archivo repite devoluciones ya hechas"),
    (
        M::RepeatIntro,
        "Lotes anteriores ya devolvieron, o pueden haber devuelto, filas de este archivo: {0} en total.",
    ),
    (
        M::RepeatBatch,
        "lote “{0}”, enviado por última vez el {2} ({3}): {1} de estas filas",
    ),
    (M::RepeatBatchNoDate, "lote “{0}”: {1} de estas filas"),
    (
        M::RepeatWhy,
        "Estas filas no se devuelven de nuevo, pero enviar este archivo a aprobación pondría el mismo dinero en un segundo lote, contado dos veces en cualquier informe hecho a partir de la lista de lotes. Envíelo a aprobación solo si esa es la intención, marcando la confirmación debajo del total.",
    ),
    (
        M::RepeatConfirm,
        "Sé que lotes anteriores ya devolvieron filas de este archivo ({0} en total) y quiero enviarlo a aprobación de todos modos.",
    ),
    (
        M::RepeatRowsNote,
        "Una fila que repite una fila ya enviada por un lote anterior no se envía de nuevo: su dinero es de ese lote.",
    ),
    (
        M::ErrRepeatNotConfirmed,
        "lotes anteriores ya devolvieron, o pueden haber devuelto, filas de este archivo ({0} en total): para enviarlo a aprobación de todos modos, marque la confirmación debajo del total. No se envió nada a aprobación.",
    ),
    (M::SumTitle, "Qué pasó con cada fila"),
    (M::SumColPart, "Resultado"),
    (M::SumColRows, "Filas"),
    (M::SumColMoney, "Monto por moneda"),
    (M::SumRefunded, "Devueltas"),
    (
        M::SumRefundedWhat,
        "la devolución existe en Mercado Pago (hecha o en proceso: su estado dice cuál)",
    ),
    (M::SumFailed, "Fallidas"),
    (
        M::SumFailedWhat,
        "Mercado Pago rechazó la devolución, o todos los intentos fallaron: no salió dinero; las causas de abajo dicen qué hacer",
    ),
    (M::SumInDoubt, "En duda"),
    (
        M::SumInDoubtWhat,
        "una solicitud puede haber devuelto, pero su respuesta nunca llegó: verifique con Mercado Pago antes de enviar nada de nuevo",
    ),
    (M::SumNotSent, "No enviadas"),
    (
        M::SumNotSentWhat,
        "filas con error, filas retenidas porque un lote anterior ya devolvió el pago, y filas aún por enviar: no salió dinero",
    ),
    (M::SumTotal, "Todas las filas"),
    (M::SumCausesTitle, "Causas: qué significan y qué hacer"),
    (
        M::SumCauseUnknown,
        "un código que esta herramienta no conoce: el mensaje del propio Mercado Pago está en la página de resultados",
    ),
    (M::SumTooLarge, "(demasiado grande)"),
    (M::SaidUploaded, "Archivo recibido: revise su plan abajo."),
    (
        M::SaidSubmitted,
        "Enviado a aprobación: ahora espera que otra persona lo apruebe.",
    ),
    (
        M::SaidApproved,
        "Aprobado: puede enviarse ahora, o esta noche.",
    ),
    (
        M::SaidRejected,
        "Rechazado: el motivo queda registrado en el lote.",
    ),
    (
        M::SaidSent,
        "Envío iniciado: esta página lo sigue hasta el final.",
    ),
    (
        M::SaidCanary,
        "Envío de las primeras filas iniciado: revise sus respuestas antes de enviar el resto.",
    ),
    (
        M::SaidRetried,
        "Las filas fallidas se están enviando de nuevo: esta página las sigue hasta el final.",
    ),
    (
        M::SaidStopped,
        "Detención pedida: no se envían más filas una vez respondidas las que están en curso; el resto puede enviarse después.",
    ),
    (M::ColLastAttemptAt, "Último envío ({0})"),
    (
        M::ResultsDownloadPeople,
        "Descargar estas filas ({0}) para Excel, en español",
    ),
];

pub(super) const CAUSES_ES: &[(Why, &str)] = &[
    (
        Why::NoTrustedAnswer,
        "ninguna respuesta confiable (el reembolso puede existir o no)",
    ),
    (
        Why::UnknownRefundStatus,
        "el reembolso tiene un estado que la herramienta no conoce",
    ),
    (
        Why::RefundRejected,
        "el reembolso fue rechazado o cancelado: no se movió dinero",
    ),
    (
        Why::OtherAmount,
        "reembolsado, pero por otro monto que el pedido",
    ),
    (
        Why::OtherPayment,
        "reembolsado, pero en otro pago que el pedido",
    ),
    (Why::BadLine, "una línea con errores en la planilla"),
    (
        Why::InDoubtEarlier,
        "una fila de un lote anterior puede haber reembolsado este pago (su respuesta nunca llegó): retenida hasta que leer el pago en Mercado Pago lo aclare",
    ),
    (
        Why::RefundedEarlier,
        "un lote anterior ya reembolsó este pago",
    ),
    (
        Why::Configuration,
        "la dirección o el certificado de la API es incorrecto (configuración)",
    ),
    (
        Why::Outage,
        "no se pudo acceder a la API (una interrupción)",
    ),
    (Why::PaymentNotFound, "pago no encontrado"),
    (Why::NotRefundable, "el pago no se puede reembolsar"),
    (Why::ExceedsBalance, "más de lo que le queda al pago"),
    (Why::HasRefunds, "el pago ya tiene reembolsos"),
    (Why::OtherCurrency, "la moneda de la fila no es la del pago"),
    (
        Why::TooManyPartials,
        "el pago tiene demasiados reembolsos parciales",
    ),
    (Why::TooOld, "pago demasiado antiguo para reembolsar"),
    (Why::PaymentUnreadable, "no se pudo consultar el pago"),
    (
        Why::WrongPaymentId,
        "pago no encontrado (¿ID de pago incorrecto?)",
    ),
    (
        Why::PastRefundWindow,
        "pago demasiado antiguo para reembolsar (fuera del plazo de 180 días)",
    ),
    (
        Why::KeyUsed,
        "reembolso no encontrado (clave de idempotencia ya usada)",
    ),
    (
        Why::StateAllowsNoRefund,
        "el estado del pago no permite reembolsos (pendiente, cancelado o ya reembolsado por completo)",
    ),
    (Why::GatewayOperation, "operación de gateway inválida"),
    (
        Why::PixContingency,
        "Pix en contingencia: el reembolso no se puede hacer ahora",
    ),
    (
        Why::NoBalance,
        "saldo insuficiente en la cuenta para reembolsar",
    ),
    (
        Why::SecurityCodeLength,
        "longitud del código de seguridad inválida",
    ),
    (
        Why::NoPartialRefunds,
        "este pago no admite reembolsos parciales (reembólselo por completo)",
    ),
    (Why::AmountNotPositive, "el monto debe ser positivo"),
    (Why::AmountNotNumber, "el monto debe ser un número"),
    (
        Why::TooManyDecimals,
        "el monto tiene demasiados decimales para la moneda",
    ),
    (
        Why::AmountExceedsLeft,
        "el monto supera lo que queda por reembolsar del pago",
    ),
    (Why::KeyMissing, "faltó el encabezado X-Idempotency-Key"),
    (Why::AlreadyRefunded, "el pago ya está reembolsado"),
    (
        Why::CardProcessor,
        "rechazado por el procesador de la tarjeta",
    ),
    (Why::SplitterId, "ID de splitter inválido"),
    (Why::TokenRefused, "el token de acceso fue rechazado"),
    (Why::TokenMayNot, "el token no puede reembolsar este pago"),
    (Why::NotFound, "no encontrado"),
    (
        Why::KeyBusy,
        "la misma clave estaba ocupada en Mercado Pago",
    ),
    (Why::RateLimited, "demasiadas solicitudes (límite de tasa)"),
    (Why::ServerFailed, "el servidor de Mercado Pago falló"),
    (Why::RefusedWithoutCause, "rechazado por la API sin causa"),
    (
        Why::TransactionNeeded,
        "la orden tiene varias transacciones de pago: indica una en una columna transaction_id",
    ),
    (
        Why::OrderRefundedEarlier,
        "un lote anterior ya reembolsó esta orden",
    ),
    (
        Why::OrderInDoubtEarlier,
        "una fila de un lote anterior pudo haber reembolsado esta orden (su respuesta nunca llegó): retenida hasta que la lectura de la orden en Mercado Pago lo aclare",
    ),
    (
        Why::KeyTooLong,
        "el X-Idempotency-Key es más largo de lo que acepta la API de órdenes",
    ),
    (
        Why::NotAnOrderId,
        "no es un ID de orden que acepte la API de órdenes (ORD y 26 caracteres)",
    ),
    (
        Why::OtherAccountsOrder,
        "la orden pertenece a otra cuenta (otro token de acceso)",
    ),
    (
        Why::OrderNotFound,
        "orden no encontrada (¿ID de orden equivocado?)",
    ),
    (
        Why::TransactionNotFound,
        "la transacción no es uno de los pagos de la orden (¿ID de transacción equivocado?)",
    ),
    (
        Why::OrderNoPartialRefunds,
        "esta orden no admite reembolsos parciales (reembólsala completa)",
    ),
    (
        Why::OrderAmountExceedsLeft,
        "el monto supera lo que queda por reembolsar en la transacción de la orden",
    ),
    (
        Why::OrderHasTips,
        "la orden tiene propina: solo se permite el reembolso total",
    ),
    (
        Why::OrderPastWindow,
        "orden demasiado antigua para reembolsar (fuera del plazo de reembolso)",
    ),
    (
        Why::OrderRefundInProgress,
        "otro reembolso de la orden se estaba procesando (reenviado con la misma clave tras una pausa)",
    ),
    (
        Why::KeyUsedOtherRequest,
        "la clave ya se usó con otra solicitud: la fila pudo haber reembolsado, la lectura de la orden lo aclara",
    ),
    (
        Why::KeyUnchecked,
        "Mercado Pago no pudo verificar la clave y pudo haber reembolsado: la lectura de la orden lo aclara antes de cualquier nuevo envío",
    ),
    (
        Why::OrderTokenMayNot,
        "la cuenta del token no puede reembolsar esta orden",
    ),
    (
        Why::OrderAlreadyRefunded,
        "la orden ya fue reembolsada por completo",
    ),
    (
        Why::OrderStateAllowsNoRefund,
        "el estado de la orden no permite reembolso (solo órdenes procesadas)",
    ),
    (
        Why::OrderHasCashout,
        "la orden incluye un retiro de efectivo (cashout): solo se permite el reembolso total",
    ),
    (
        Why::ChargedBack,
        "la orden tiene un contracargo abierto: un reembolso también pagaría dos veces",
    ),
];
