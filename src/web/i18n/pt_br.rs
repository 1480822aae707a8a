//! The console's words in Portuguese (Brazil): messages and cause meanings.

use crate::domain::causes::Why;

use super::M;

pub(super) const PT_BR: &[(M, &str)] = &[
    (M::Console, "console mprefund"),
    (M::NavBatches, "Lotes"),
    (M::NavAudit, "Trilha de auditoria"),
    (M::LogOut, "Sair"),
    (M::Language, "Idioma"),
    (M::LoginTitle, "Entrar"),
    (
        M::LoginIntro,
        "Estornos a partir de uma planilha: envie o arquivo, confira o plano e peça a aprovação.",
    ),
    (M::LoginWrong, "Conta ou senha incorretas."),
    (
        M::LoginWait,
        "Muitas tentativas de acesso sem sucesso para esta conta: tente de novo em {0} segundos.",
    ),
    (
        M::LoginRate,
        "Muitas tentativas de acesso daqui ou com este nome: tente de novo em {0} segundos.",
    ),
    (
        M::LoginBusy,
        "O console está ocupado verificando outros acessos: tente de novo em alguns segundos.",
    ),
    (
        M::LoginTooLong,
        "Nenhuma conta tem um nome tão longo: os nomes têm no máximo {0} caracteres.",
    ),
    (M::LoginAccount, "Conta"),
    (M::LoginPassword, "Senha"),
    (M::HomeUploadTitle, "Enviar uma planilha"),
    (
        M::HomeUploadIntro,
        "Um arquivo CSV (vírgula, ponto e vírgula ou tabulação), de até {0} MiB, com uma coluna de ID do pagamento e uma de valor. Nada é enviado daqui: primeiro você vê o plano.",
    ),
    (
        M::HomeSkipInvalid,
        "Ignorar as linhas com erro (enviar só as corretas)",
    ),
    (M::HomeUploadButton, "Enviar e conferir"),
    (M::HomeBatches, "Lotes"),
    (M::HomeNoBatch, "Nenhum lote ainda."),
    (M::ColFile, "Arquivo"),
    (M::ColUploadedBy, "Enviado por"),
    (M::ColWhen, "Quando ({0})"),
    (M::ColState, "Situação"),
    (M::BatchUploaded, "Enviado por {0} em {1} ({2}), {3} bytes."),
    (M::BatchSkipping, "As linhas com erro serão ignoradas."),
    (M::BatchRows, "linhas"),
    (M::BatchGood, "corretas"),
    (M::BatchBad, "com erro"),
    (M::BatchAlreadyRefunded, "já estornadas"),
    (M::BatchBlank, "linhas em branco ignoradas"),
    (M::MoneyTitle, "Valores por moeda"),
    (M::MoneyNone, "Nada a estornar: nenhuma linha correta."),
    (M::ColCurrency, "Moeda"),
    (M::ColRowsWithAmount, "Linhas com valor"),
    (M::ColSum, "Soma desses valores"),
    (M::ColFullRefunds, "Estornos totais"),
    (
        M::MoneyFullNote,
        "Um estorno total devolve o que resta do pagamento: o valor só é conhecido no envio, por isso não entra na soma.",
    ),
    (M::BadLinesTitle, "Linhas com erro ({0})"),
    (
        M::BadLinesIntro,
        "Estas linhas não são estornadas como estão. Corrija-as na planilha e envie de novo",
    ),
    (M::BadLinesOrSkip, ", ou continue sem elas."),
    (
        M::BadLinesOrTick,
        ", ou envie de novo marcando “ignorar as linhas com erro”.",
    ),
    (M::ColLine, "Linha"),
    (M::ColWhatToFix, "O que corrigir"),
    (M::PriorTitle, "Já estornadas por um lote anterior ({0})"),
    (
        M::PriorIntro,
        "O pagamento de cada uma destas linhas já tem um estorno de um lote anterior: elas ficam retidas, para que nenhum pagamento seja estornado duas vezes por engano.",
    ),
    (M::ColPayment, "Pagamento"),
    (M::ColEarlierRefund, "O estorno anterior"),
    (M::ReadTitle, "Como o arquivo foi lido"),
    (M::ReadEncoding, "Codificação"),
    (M::ReadDelimiter, "Separador"),
    (M::ReadColumns, "Colunas"),
    (M::ColTakenAs, "Usada como"),
    (M::ColHeaderCell, "Cabeçalho"),
    (M::ColColumn, "Coluna"),
    (M::ReadNone, "(nenhuma)"),
    (M::PriorRefunded, "{0} devolvido em {1}, no lote “{2}”"),
    (
        M::PriorInProcess,
        "{0} em devolução desde {1}, no lote “{2}”",
    ),
    (
        M::PriorInDoubt,
        "{0} pode ter sido devolvido em {1} (a resposta nunca chegou), no lote “{2}”",
    ),
    (M::PriorWaiting, "{0} aguardando o envio, no lote “{2}”"),
    (M::PriorOther, "{0} ({3}) em {1}, no lote “{2}”"),
    (M::PriorWhole, "o pagamento inteiro"),
    (
        M::FileNoColumn,
        "{0}: não há coluna de {1}. Cabeçalho lido: {2}. Dê à coluna um destes nomes: {3}.",
    ),
    (
        M::FileLooksLikeData,
        " A primeira linha parece ser de dados: o arquivo precisa de uma linha de cabeçalho.",
    ),
    (
        M::FileEmpty,
        "{0} está vazio: precisa de uma linha de cabeçalho com uma coluna de ID do pagamento e uma de valor.",
    ),
    (
        M::FileUnclosedQuote,
        "{0}, linha {1}: uma aspa aberta nesta linha nunca é fechada, e todas as linhas seguintes seriam lidas como uma só célula: feche ou remova a aspa.",
    ),
    (M::ReadEncUtf8, "UTF-8"),
    (M::ReadEncUtf8Bom, "UTF-8 com BOM"),
    (
        M::ReadEnc1252,
        "Windows-1252 (não é UTF-8; acentos lidos como o Excel os gravou)",
    ),
    (M::ReadDelimComma, "vírgula (,)"),
    (M::ReadDelimSemicolon, "ponto e vírgula (;)"),
    (M::ReadDelimTab, "tabulação"),
    (M::RoleNamePaymentId, "ID do pagamento"),
    (M::RoleNameOrderId, "ID do pedido"),
    (M::RoleNameTransactionId, "ID da transação do pedido"),
    (M::RoleNameAmount, "valor"),
    (M::RoleNameReference, "referência"),
    (M::RoleNameKind, "tipo"),
    (M::RoleNameCurrency, "moeda"),
    (
        M::FindFieldCount,
        "a linha tem {0} células, mas o cabeçalho tem {1}",
    ),
    (
        M::FindFieldCountComma,
        " (uma célula com vírgula, como uma vírgula decimal, precisa estar entre aspas)",
    ),
    (
        M::FindSwallowed,
        "a coluna “{0}” ocupa várias linhas e contém o que parecem outras linhas: uma aspa aberta na linha {1} foi fechada tarde demais? Essas linhas se perderiam.",
    ),
    (
        M::FindUndefinedByte,
        "a coluna “{0}” tem um byte (0x{1}) que não é UTF-8 nem Windows-1252: salve o arquivo de novo como “CSV UTF-8”",
    ),
    (
        M::FindAmountBlank,
        "o valor está em branco: escreva o valor a devolver, ou “total” para devolver o pagamento inteiro",
    ),
    (M::FindAmountNotANumber, "o valor “{0}” não é um número"),
    (
        M::FindAmountNotPositive,
        "o valor “{0}” precisa ser maior que zero",
    ),
    (M::FindAmountSigned, "escreva o valor “{0}” sem sinal"),
    (
        M::FindAmountScientific,
        "o valor “{0}” está em notação científica: escreva o número simples (ex.: 1500,00)",
    ),
    (
        M::FindAmountNotPlain,
        "o valor “{0}” precisa ser um número simples, sem símbolo de moeda nem letras",
    ),
    (
        M::FindAmountSeparator,
        "o valor “{0}” tem um separador de milhar que não dá para ler: escreva-o sem separador (ex.: 1234,56)",
    ),
    (
        M::FindAmountSeparatorUnclear,
        "o valor “{0}” tem um separador de milhar, e os valores do arquivo não mostram qual sinal é o decimal: escreva-o sem separador (ex.: 1234,56)",
    ),
    (
        M::FindAmountDecimals,
        "o valor “{0}” tem casas decimais demais: no máximo {1}",
    ),
    (
        M::FindAmountNoDecimals,
        "o valor “{0}” tem casas decimais, que {1} não tem",
    ),
    (
        M::FindAmountThousandsHint,
        " (se o “{0}” separa os milhares, remova-o)",
    ),
    (M::FindAmountTooLarge, "o valor “{0}” é grande demais"),
    (M::FindAmountZero, "o valor “{0}” é zero: nada a devolver"),
    (M::FindPaymentIdBlank, "o ID do pagamento está em branco"),
    (
        M::FindPaymentIdScientific,
        "o ID do pagamento {0} está em notação científica (a planilha o reformatou): formate a coluna como texto e exporte de novo",
    ),
    (
        M::FindPaymentIdNotNumber,
        "o ID do pagamento {0} não é um número inteiro positivo",
    ),
    (
        M::FindPaymentIdTooLong,
        "o ID do pagamento {0} é longo demais",
    ),
    (
        M::FindPaymentIdRange,
        "o ID do pagamento {0} é maior do que qualquer ID de pagamento",
    ),
    (
        M::FindIdsBlank,
        "o ID do pagamento e o ID do pedido estão em branco",
    ),
    (
        M::FindDuplicate,
        "repete a linha {0} (mesmo pagamento, valor e referência): apague uma delas, ou dê a cada uma sua própria referência",
    ),
    (
        M::FindCurrency,
        "a moeda “{0}” não é uma das que o Mercado Pago usa",
    ),
    (
        M::FindKind,
        "o tipo “{0}” não é “payment”, “advanced_payment” nem “order”",
    ),
    (
        M::FindOrder,
        "o pedido desta linha não pode ser devolvido como está escrito",
    ),
    (M::Bytes, "bytes"),
    (M::AuditTitle, "Trilha de auditoria"),
    (
        M::AuditIntro,
        "Cada acesso, envio e etapa, dos mais recentes aos mais antigos (os últimos {0}). Nada aqui pode ser editado ou apagado.",
    ),
    (M::AuditDownload, "Baixar tudo em CSV"),
    (M::AuditNothing, "Nada ainda."),
    (M::ColAccount, "Conta"),
    (M::ColWhat, "O quê"),
    (M::ColFrom, "De onde"),
    (M::ColBatch, "Lote"),
    (M::ColDetail, "Detalhe"),
    (M::ProblemTitle, "Problema"),
    (M::NotFoundTitle, "Não encontrado"),
    (
        M::NotFoundText,
        "Este lote ou página não existe. Talvez o endereço tenha sido digitado errado; a lista de lotes está na primeira página.",
    ),
    (M::FirstPage, "Primeira página"),
    (M::EmptyTitle, "O arquivo está vazio"),
    (
        M::EmptyText,
        "Ele não tem nenhum byte. Exporte a planilha de novo como CSV, com a linha de cabeçalho, e envie esse arquivo.",
    ),
    (
        M::WorkbookTitle,
        "Isto é uma pasta de trabalho, não um arquivo CSV",
    ),
    (
        M::WorkbookText,
        "Abra no Excel (ou LibreOffice) e salve como CSV: Arquivo → Salvar como → CSV UTF-8 (separado por vírgulas). Depois envie o arquivo .csv.",
    ),
    (M::NoFileTitle, "Nenhum arquivo escolhido"),
    (M::NoFileText, "Escolha o arquivo CSV e depois envie."),
    (
        M::UnreadableTitle,
        "O arquivo não pode ser lido como uma planilha de estornos",
    ),
    (
        M::UnreadableText,
        "Nada foi guardado. O que a leitura encontrou:",
    ),
    (M::RemovedTitle, "A planilha deste lote foi removida"),
    (
        M::RemovedText,
        "As planilhas enviadas ficam guardadas alguns dias depois do fim do lote e depois são removidas. O lote, os resultados e a trilha de auditoria continuam.",
    ),
    (M::BackToBatches, "Voltar aos lotes"),
    (M::ErrNoBatch, "lote não encontrado"),
    (M::ErrNotFound, "não encontrado"),
    (
        M::ErrNotLoggedIn,
        "você não está conectado (ou a sessão terminou): entre em /login",
    ),
    (
        M::ErrCsrf,
        "o código de segurança do formulário falta ou está errado: recarregue a página e tente de novo",
    ),
    (
        M::ErrOrigin,
        "este pedido veio de uma página que não é do console e foi recusado: abra o console e faça isso por lá",
    ),
    (M::ErrRole, "o papel da sua conta não permite fazer isto"),
    (
        M::ErrCannotSubmit,
        "o lote está {0}: não pode ser submetido agora",
    ),
    (
        M::ErrCannotDecide,
        "o lote está {0}: não pode ser aprovado nem rejeitado agora",
    ),
    (
        M::ErrNotSendable,
        "o lote está {0}: só um lote aprovado é enviado",
    ),
    (M::ErrBeingSent, "o lote já está sendo enviado"),
    (M::ErrNotBeingSent, "o lote não está sendo enviado"),
    (
        M::ErrCanary,
        "canary={0}: o número de linhas a enviar primeiro, 1 ou mais",
    ),
    (
        M::ErrNoTokenSend,
        "o console foi iniciado sem token de acesso (MP_ACCESS_TOKEN ou --token-file): não pode enviar",
    ),
    (
        M::ErrNoTokenApprove,
        "o console foi iniciado sem token de acesso (MP_ACCESS_TOKEN ou --token-file), então não pode preparar o lote para envio; nada foi aprovado",
    ),
    (M::ErrSubmittedAlready, "o lote já foi submetido"),
    (M::ErrDecidedAlready, "já houve uma decisão sobre o lote"),
    (
        M::ErrOwnBatch,
        "você submeteu este lote: outra pessoa o aprova ou rejeita",
    ),
    (M::ErrSayWhy, "diga por que o lote é rejeitado"),
    (
        M::ErrBadLines,
        "o arquivo tem {0} linha(s) com erro: corrija-as e envie o arquivo de novo, ou envie-o marcando \"ignorar as linhas com erro\"",
    ),
    (M::ErrTotalDiffers, "o total não confere: {0}"),
    (M::ErrNotApproved, "não aprovado: {0}"),
    (M::ErrSentAlready, "o lote já foi enviado"),
    (
        M::ErrTypeTotal,
        "digite o total que você espera, por moeda (ex.: R$ 1.234,56)",
    ),
    (
        M::ErrBadTotal,
        "{0} não é um total que o console consiga ler: digite-o como o plano mostra, ex.: R$ 1.234,56 ou 1234,56 BRL; as linhas de pagamento inteiro que não puderam ser lidas vão à parte: + 2 full",
    ),
    (M::ErrTooLarge, "o arquivo tem mais de {0} MiB"),
    (M::ErrUnknownLanguage, "idioma desconhecido"),
    (
        M::ErrInternal,
        "algo deu errado no servidor; o log diz o quê",
    ),
    (
        M::ErrNoResults,
        "o lote ainda não tem resultados: não foi enviado",
    ),
    (
        M::ErrFilter,
        "filtro: all, failed, needs-person ou refunded",
    ),
    (M::ErrPage, "página: um número de página, 1 ou mais"),
    (M::ErrFormat, "formato: mprefund ou mp-batch"),
    (
        M::ErrNotRetryable,
        "o lote está {0}: só se tenta de novo um lote concluído ou interrompido",
    ),
    (
        M::ErrRetryPending,
        "{0} linha(s) ainda a enviar: envie o restante primeiro (enviar agora); nada foi tentado de novo",
    ),
    (
        M::ErrNothingToRetry,
        "nenhuma linha com falha para tentar de novo (uma linha que falhou de vez precisa de uma pessoa)",
    ),
    (
        M::ErrBooksWhileSending,
        "o lote está sendo enviado: confira com o Mercado Pago quando o envio terminar",
    ),
    (
        M::ErrBooksNotSent,
        "o lote está {0}: nenhum estorno foi pedido ao Mercado Pago ainda, então não há o que conferir",
    ),
    (
        M::ErrNoTokenBooks,
        "o console foi iniciado sem token de acesso (MP_ACCESS_TOKEN ou --token-file): não pode conferir com o Mercado Pago",
    ),
    (
        M::ErrBooksReading,
        "este lote já está sendo conferido com o Mercado Pago",
    ),
    (
        M::ErrBooksNotRead,
        "este lote ainda não foi conferido com o Mercado Pago",
    ),
    (
        M::ErrNoReportMatch,
        "nenhum relatório do Mercado Pago foi casado com este lote ainda",
    ),
    (
        M::ErrBeingReconciled,
        "este lote está sendo conferido com o Mercado Pago: envie-o quando a conferência terminar; nada foi enviado",
    ),
    (M::CausesTitle, "Por que linhas não foram estornadas"),
    (M::ColCause, "Causa"),
    (M::ColMeaning, "O que significa"),
    (M::ColNext, "O que fazer"),
    (
        M::NextRetry,
        "tentar de novo: reenviar com a mesma chave é seguro",
    ),
    (
        M::NextReconcile,
        "conciliar: consultar o estorno no Mercado Pago mais tarde",
    ),
    (
        M::NextFixRow,
        "corrigir a linha na planilha e enviar de novo",
    ),
    (
        M::NextNeedsPerson,
        "precisa de uma pessoa: verifique o pagamento no Mercado Pago",
    ),
    (M::NextNothing, "nada a fazer"),
    (
        M::BooksLink,
        "Conciliação: conferir com o Mercado Pago, ou casar com um relatório",
    ),
    (M::BooksTitle, "Conciliação"),
    (
        M::BooksIntro,
        "Lê de novo cada pagamento do lote no Mercado Pago e compara os reembolsos dele com o que o lote fez. Nada é enviado; um reembolso que foi aprovado ou rejeitado depois fica anotado na linha.",
    ),
    (M::BooksButton, "Conferir agora"),
    (M::BooksAgain, "Conferir de novo"),
    (M::BooksNone, "Ainda não conferido."),
    (
        M::BooksWorking,
        "Conferindo… Esta página se atualiza sozinha; um lote grande demora (uma consulta por pagamento, no ritmo do console).",
    ),
    (M::BooksStartedBy, "Iniciada por {0} em {1} ({2})."),
    (M::BooksDoneBy, "Conferido por {0} em {1} ({2})."),
    (M::BooksAgree, "Tudo confere: nada a fazer."),
    (
        M::BooksDisagree,
        "Algumas linhas não conferem: abaixo, o que cada achado quer dizer e o que fazer.",
    ),
    (
        M::BooksStopped,
        "Parou antes do fim ({0}): nada foi alterado. Confira de novo.",
    ),
    (
        M::BooksUpdated,
        "{0} linha(s) atualizada(s): o reembolso delas foi aprovado ou rejeitado depois.",
    ),
    (M::BooksFailed, "Não foi possível conferir:"),
    (M::BooksDownload, "Baixar a conciliação (CSV)"),
    (M::BooksFirstLines, "As primeiras {0} de {1} linhas."),
    (M::ColFinding, "Achado"),
    (M::ColLines, "Linhas"),
    (M::ColMoney, "Valor"),
    (M::ColRow, "Linha do lote"),
    (M::ColRefund, "Reembolso"),
    (M::ColOurs, "Valor do lote"),
    (M::ColAtMp, "No Mercado Pago"),
    (M::ColMpStatus, "Situação lá"),
    (M::ReportTitle, "Casar com um relatório do Mercado Pago"),
    (
        M::ReportIntro,
        "Envie um relatório de liquidações ou de liberações (CSV, até {0} MiB), como baixado do Mercado Pago: cada linha dele sobre os pagamentos do lote é casada com os reembolsos do lote. Nada é enviado ao Mercado Pago.",
    ),
    (M::ReportButton, "Enviar e casar"),
    (M::ReportNone, "Nenhum relatório casado ainda."),
    (M::ReportDownload, "Baixar o último casamento (CSV)"),
    (M::ReportDone, "{0}, casado por {1} em {2} ({3})."),
    (
        M::ReportOutside,
        "Nenhuma linha do relatório cai no período do lote: use o relatório dos dias em que o lote foi enviado.",
    ),
    (M::ReportPeriod, "O relatório cobre de {0} a {1}."),
    (M::ColReport, "Relatório"),
    (M::ColReportType, "Tipo"),
    (M::ColPerBatch, "Segundo o lote"),
    (M::ColPerReport, "Segundo o relatório"),
    (
        M::NotAReportTitle,
        "O arquivo não pode ser lido como um relatório do Mercado Pago",
    ),
    (
        M::NotAReportText,
        "Nada foi casado. Envie o relatório de liquidações ou de liberações como o Mercado Pago o entrega (CSV). O que o leitor encontrou:",
    ),
    (
        M::FindMatched,
        "Reembolso conferido: está no Mercado Pago com o mesmo id, valor e situação.",
    ),
    (M::FindMatchedNext, "nada a fazer"),
    (
        M::FindSettled,
        "O reembolso estava em processamento; o Mercado Pago o aprovou depois (a linha agora está reembolsada).",
    ),
    (M::FindSettledNext, "nada a fazer"),
    (
        M::FindRejectedLater,
        "O reembolso foi feito e depois cancelado ou rejeitado no Mercado Pago: o dinheiro não voltou (a linha agora falhou).",
    ),
    (
        M::FindRejectedLaterNext,
        "veja o motivo no painel do Mercado Pago; reembolse de novo num novo lote se ainda for devido",
    ),
    (
        M::FindMissingAtMp,
        "O lote diz reembolsado, mas o pagamento não mostra esse reembolso.",
    ),
    (
        M::FindMissingAtMpNext,
        "uma pessoa confere o pagamento no painel do Mercado Pago antes de qualquer novo envio",
    ),
    (
        M::FindAmountDiffers,
        "O reembolso está lá com outro valor que o do lote.",
    ),
    (
        M::FindAmountDiffersNext,
        "uma pessoa compara os dois valores no painel; reembolse a diferença à mão se for devida",
    ),
    (
        M::FindOutsideRefund,
        "Um reembolso num pagamento do lote que nenhum lote deste console fez (à mão, ou outra ferramenta).",
    ),
    (
        M::FindOutsideRefundNext,
        "confira que o cliente não foi reembolsado duas vezes",
    ),
    (
        M::FindUnknownOutcomeFound,
        "A linha foi enviada e a resposta se perdeu; o pagamento mostra um reembolso do valor dela.",
    ),
    (
        M::FindUnknownOutcomeFoundNext,
        "envie o lote de novo: a mesma chave repete esse reembolso, nada é pago duas vezes",
    ),
    (
        M::FindNoRefund,
        "Nada foi reembolsado para a linha, e o Mercado Pago concorda.",
    ),
    (
        M::FindNoRefundNext,
        "nada a fazer (veja a causa da linha na página do lote)",
    ),
    (
        M::FindInDoubt,
        "A linha pode ter sido estornada (a resposta nunca chegou) e o pagamento ainda não mostra um estorno dela; foi lido cedo demais para dizer que nenhum foi feito.",
    ),
    (
        M::FindInDoubtNext,
        "confira os livros de novo mais tarde: passado o tempo de espera, nenhum estorno encontrado quer dizer que nenhum foi feito",
    ),
    (
        M::FindUnreadable,
        "Não foi possível ler o pagamento no Mercado Pago.",
    ),
    (M::FindUnreadableNext, "confira de novo mais tarde"),
    (
        M::RepMatched,
        "O relatório mostra o reembolso do lote, mesmo pagamento e valor.",
    ),
    (M::RepMatchedNext, "nada a fazer"),
    (
        M::RepMatchedAmbiguous,
        "Casado, mas o pagamento tem outro reembolso do mesmo valor que poderia ser ele (casados do mais antigo ao mais novo).",
    ),
    (
        M::RepMatchedAmbiguousNext,
        "nada a fazer, a menos que os totais difiram",
    ),
    (
        M::RepAmountDiffers,
        "O relatório mostra o reembolso do lote com outro valor.",
    ),
    (
        M::RepAmountDiffersNext,
        "uma pessoa compara os valores no painel",
    ),
    (
        M::RepMissingInReport,
        "Um reembolso do lote, feito bem dentro do período do relatório, que nenhuma linha dele mostra.",
    ),
    (
        M::RepMissingInReportNext,
        "confira com o Mercado Pago (conciliação) e veja se o relatório cobre o período inteiro",
    ),
    (
        M::RepNotInBatch,
        "Um reembolso num pagamento do lote que o lote não fez.",
    ),
    (
        M::RepNotInBatchNext,
        "confira que o cliente não foi reembolsado duas vezes",
    ),
    (
        M::RepChargeback,
        "Um chargeback num pagamento que o lote reembolsou: o dinheiro pode sair duas vezes.",
    ),
    (
        M::RepChargebackNext,
        "uma pessoa contesta o chargeback ou pede o dinheiro de volta",
    ),
    (
        M::RepOutOfPeriod,
        "Um reembolso do lote feito fora do período do relatório, ou perto demais das bordas para esperá-lo ali.",
    ),
    (
        M::RepOutOfPeriodNext,
        "case com o relatório dos dias em que foi feito",
    ),
    (
        M::RepReserve,
        "Dinheiro retido para um reembolso (relatório de liberações), mostrado à parte.",
    ),
    (M::RepReserveNext, "nada a fazer"),
    (M::StateUploaded, "enviado"),
    (M::StateSubmitted, "submetido"),
    (M::StateApproved, "aprovado"),
    (M::StateRejected, "recusado"),
    (M::StateSending, "em envio"),
    (M::StateStopped, "interrompido"),
    (M::StateFinished, "concluído"),
    (M::StateExpired, "expirado"),
    (M::OutcomeRefunded, "estornado"),
    (M::OutcomeInProcess, "em processamento"),
    (M::OutcomeFailed, "falhou"),
    (M::OutcomeInvalid, "inválido"),
    (M::OutcomePending, "pendente"),
    (M::OutcomeUnknown, "pode ter sido estornado"),
    (M::ResultsTitle, "Resultados"),
    (
        M::ResultsLink,
        "O resultado de cada linha, com filtros e downloads",
    ),
    (M::FilterAll, "Todas"),
    (M::FilterFailed, "Com falha"),
    (M::FilterNeedsPerson, "Precisa de uma pessoa"),
    (M::FilterRefunded, "Reembolsadas"),
    (
        M::ResultsFilters,
        "Com falha: não reembolsada, e nada em andamento (o Mercado Pago recusou, ou a linha está errada) — e as linhas que podem ter sido estornadas, cuja resposta nunca chegou: tentar de novo envia a mesma chave, conferir os livros as lê no Mercado Pago. Precisa de uma pessoa: linhas que a ferramenta não conclui sozinha — falhas definitivas, linhas erradas, reembolsos feitos com outro valor ou em outro pagamento. Reembolsadas: o reembolso existe (reembolsado, ou em processamento: é liquidado depois). Linhas ainda por enviar aparecem só em Todas.",
    ),
    (
        M::ResultsDownload,
        "Baixar os resultados (CSV, como o mprefund run os escreve)",
    ),
    (
        M::ResultsDownloadMp,
        "Baixar nas colunas do lote do Mercado Pago",
    ),
    (M::ResultsNone, "Nenhuma linha aqui."),
    (
        M::ResultsNotYet,
        "Este lote ainda não tem resultados: eles aparecem depois que ele for enviado.",
    ),
    (M::ResultsPage, "página {0} de {1}"),
    (M::ResultsPrev, "← anterior"),
    (M::ResultsNext, "próxima →"),
    (M::ColAmount, "Valor"),
    (M::ColRefundId, "Reembolso"),
    (M::ColRefundStatus, "Situação do reembolso"),
    (M::AmountFull, "reembolso total"),
    (M::AmountFullWas, "reembolso total: {0}"),
    (M::RetryButton, "Tentar de novo as linhas com falha ({0})"),
    (
        M::RetryWhat,
        "Só as linhas que falharam por um motivo passageiro são enviadas de novo, cada uma com a sua chave: o Mercado Pago faz cada reembolso uma única vez.",
    ),
    (M::FlowTitle, "Aprovação"),
    (M::FlowSubmittedBy, "Enviado para aprovação por"),
    (M::FlowAt, "em {0}"),
    (M::FlowExpecting, ", esperando {0}"),
    (M::FlowRejectedBy, "Rejeitado por"),
    (M::FlowApprovedBy, "Aprovado por"),
    (M::FlowWhy, "Motivo"),
    (M::FlowLedgerBatch, "Lote no arquivo de estado"),
    (
        M::FlowExpired,
        "Não foi aprovado em até {0} dia(s) após o envio: este lote expirou. Envie o arquivo de novo para recomeçar.",
    ),
    (M::SubmitTotal, "Total que você espera, por moeda (ex.:"),
    (M::SubmitTotalSeveral, "; um por linha se houver várias)"),
    (M::SubmitButton, "Enviar para aprovação"),
    (
        M::ApproveTotal,
        "Digite o total de novo, por moeda, como você o lê no plano abaixo",
    ),
    (M::ApproveButton, "Aprovar"),
    (M::RejectReason, "Motivo da rejeição"),
    (M::RejectButton, "Rejeitar"),
    (M::SendNow, "Enviar agora"),
    (M::SendRest, "Enviar agora (o restante)"),
    (
        M::SendCanary,
        "Enviar antes as próximas {0} linhas e conferir",
    ),
    (M::SendTonight, "Ou deixe para esta noite:"),
    (M::SendTonightWhat, "envia todos os lotes aprovados."),
    (M::ProgressOf, "de"),
    (M::ProgressRowsDone, "linhas concluídas"),
    (M::ProgressRate, "linhas/s"),
    (M::ProgressLeft, "restantes"),
    (M::ProgressFull, "totais"),
    (
        M::StopButton,
        "Parar (as linhas em andamento terminam; o restante espera)",
    ),
    (M::AnsweredTitle, "Linhas enviadas até agora"),
    (M::AnsweredFirst, " (as primeiras {0})"),
    (M::ColOutcome, "Resultado"),
    (M::ColWhatHappened, "O que aconteceu"),
    (
        M::ErrTotalCurrency,
        "o total {0} está em {2}, mas as linhas deste arquivo estão em {1}: digite-o em {1}",
    ),
    (
        M::ErrTotalFullApart,
        "{0} linha(s) estornam um pagamento inteiro que não pôde ser lido no Mercado Pago, então o valor delas não está em total nenhum: indique-as à parte, ex.: {1}",
    ),
    (
        M::ErrCoverReading,
        "os pagamentos das linhas que estornam um pagamento inteiro ainda estão sendo lidos no Mercado Pago ({0} de {1}): tente de novo em instantes",
    ),
    (
        M::ErrTotalNoAccount,
        "este arquivo não tem coluna de moeda e a moeda da conta não pôde ser lida no Mercado Pago: digite o total sem moeda, ou defina `currency` no arquivo do job",
    ),
    (
        M::CoverReading,
        "Lendo no Mercado Pago os pagamentos das linhas que estornam um pagamento inteiro: {0} de {1}…",
    ),
    (M::CoverToType, "O total a digitar, com todas as linhas:"),
    (
        M::CoverRead,
        "As linhas que estornam um pagamento inteiro estão nele: o que resta de cada pagamento, lido no Mercado Pago.",
    ),
    (
        M::CoverUnread,
        "{0} linha(s) estornam um pagamento inteiro que não pôde ser lido no Mercado Pago: o valor delas só é conhecido no envio, então o total as indica à parte (`+ {0} full`).",
    ),
    (
        M::CoverAccount,
        "O arquivo não tem coluna de moeda: suas linhas estão na moeda da conta, {0}.",
    ),
    (
        M::LookOnly,
        "Somente consulta: este console foi iniciado sem token de acesso (--without-token). Planos, resultados e a trilha de auditoria podem ser lidos; nada pode ser aprovado nem enviado.",
    ),
    (M::RoleSubmitter, "solicitante"),
    (M::RoleApprover, "aprovador"),
    (M::RoleAdmin, "administrador"),
    (M::RefusedTitle, "Isto não foi feito"),
    (M::BackToBatch, "Voltar ao lote"),
    (
        M::ErrTotalNoMatch,
        "o total digitado, {0}, não confere com este lote. Confira de novo com os seus próprios números e digite-o outra vez.",
    ),
    (
        M::ErrTotalDiffersSum,
        "o total digitado, {0}, não confere: os valores deste arquivo somam {1}. Confira o arquivo ou digite o total de novo.",
    ),
    (
        M::ErrTotalFullCount,
        "o total digitado indica à parte {0} linha(s) de pagamento inteiro, mas {1} não puderam ser lidas no Mercado Pago: digite-o de novo indicando {1} à parte (+ {1} full).",
    ),
    (
        M::ErrTotalNeedsCurrency,
        "este arquivo tem linhas em {0}: digite um total por moeda, cada um com a sua moeda (ex.: R$ 1.234,56 ou 1500 CLP), um por linha.",
    ),
    (
        M::ErrTotalTwice,
        "foram digitados dois totais em {0}: digite um por moeda.",
    ),
    (
        M::ErrTotalMissing,
        "este arquivo tem linhas em {0} e nenhum total foi digitado para essa moeda: digite um total por moeda.",
    ),
    (M::NoCurrencyName, "sem moeda"),
    (M::TotalExample, "R$ 1.234,56"),
    // --- finished page, same file twice, downloads ---
    (M::RepeatTitle, "Este arquivo repete devoluções já feitas"),
    (
        M::RepeatIntro,
        "Lotes anteriores já devolveram, ou podem ter devolvido, linhas deste arquivo: {0} no total.",
    ),
    (
        M::RepeatBatch,
        "lote “{0}”, enviado por último em {2} ({3}): {1} destas linhas",
    ),
    (M::RepeatBatchNoDate, "lote “{0}”: {1} destas linhas"),
    (
        M::RepeatWhy,
        "Essas linhas não são devolvidas de novo, mas enviar este arquivo para aprovação poria o mesmo dinheiro num segundo lote, contado duas vezes em qualquer relatório feito a partir da lista de lotes. Envie-o para aprovação só se for essa a intenção, marcando a confirmação abaixo do total.",
    ),
    (
        M::RepeatConfirm,
        "Sei que lotes anteriores já devolveram linhas deste arquivo ({0} no total) e quero enviá-lo para aprovação mesmo assim.",
    ),
    (
        M::RepeatRowsNote,
        "Uma linha que repete uma linha já enviada por um lote anterior não é enviada de novo: o dinheiro dela é daquele lote.",
    ),
    (
        M::ErrRepeatNotConfirmed,
        "lotes anteriores já devolveram, ou podem ter devolvido, linhas deste arquivo ({0} no total): para enviá-lo para aprovação mesmo assim, marque a confirmação abaixo do total. Nada foi enviado para aprovação.",
    ),
    (M::SumTitle, "O que aconteceu com cada linha"),
    (M::SumColPart, "Resultado"),
    (M::SumColRows, "Linhas"),
    (M::SumColMoney, "Valor por moeda"),
    (M::SumRefunded, "Devolvidas"),
    (
        M::SumRefundedWhat,
        "a devolução existe no Mercado Pago (concluída ou em processamento: o status diz qual)",
    ),
    (M::SumFailed, "Com falha"),
    (
        M::SumFailedWhat,
        "o Mercado Pago recusou a devolução, ou todas as tentativas falharam: nenhum dinheiro saiu; as causas abaixo dizem o que fazer",
    ),
    (M::SumInDoubt, "Em dúvida"),
    (
        M::SumInDoubtWhat,
        "uma requisição pode ter devolvido, mas a resposta nunca chegou: confira com o Mercado Pago antes de enviar qualquer coisa de novo",
    ),
    (M::SumNotSent, "Não enviadas"),
    (
        M::SumNotSentWhat,
        "linhas com erro, linhas retidas porque um lote anterior já devolveu o pagamento, e linhas ainda a enviar: nenhum dinheiro saiu",
    ),
    (M::SumTotal, "Todas as linhas"),
    (M::SumCausesTitle, "Causas: o que significam e o que fazer"),
    (
        M::SumCauseUnknown,
        "um código que esta ferramenta não conhece: a mensagem do próprio Mercado Pago está na página de resultados",
    ),
    (M::SumTooLarge, "(grande demais)"),
    (M::SaidUploaded, "Arquivo recebido: confira o plano abaixo."),
    (
        M::SaidSubmitted,
        "Enviado para aprovação: agora aguarda que outra pessoa o aprove.",
    ),
    (
        M::SaidApproved,
        "Aprovado: pode ser enviado agora, ou esta noite.",
    ),
    (
        M::SaidRejected,
        "Rejeitado: o motivo fica registrado no lote.",
    ),
    (
        M::SaidSent,
        "Envio iniciado: esta página acompanha até o fim.",
    ),
    (
        M::SaidCanary,
        "Envio das primeiras linhas iniciado: confira as respostas antes de enviar o resto.",
    ),
    (
        M::SaidRetried,
        "As linhas com falha estão sendo enviadas de novo: esta página acompanha até o fim.",
    ),
    (
        M::SaidStopped,
        "Interrupção pedida: nenhuma outra linha é enviada depois que as em andamento forem respondidas; o resto pode ser enviado depois.",
    ),
    (M::ColLastAttemptAt, "Último envio ({0})"),
    (
        M::ResultsDownloadPeople,
        "Baixar estas linhas ({0}) para o Excel, em português",
    ),
];

/// The meanings of `causes`, by their English text (as `gettext` keys them).
pub(super) const CAUSES_PT_BR: &[(Why, &str)] = &[
    (
        Why::NoTrustedAnswer,
        "nenhuma resposta confiável (o estorno pode ou não existir)",
    ),
    (
        Why::UnknownRefundStatus,
        "o estorno tem uma situação que a ferramenta não conhece",
    ),
    (
        Why::RefundRejected,
        "o estorno foi recusado ou cancelado: nenhum dinheiro foi movido",
    ),
    (
        Why::OtherAmount,
        "estornado, mas com outro valor que o pedido",
    ),
    (
        Why::OtherPayment,
        "estornado, mas em outro pagamento que o pedido",
    ),
    (Why::BadLine, "uma linha com erro na planilha"),
    (
        Why::InDoubtEarlier,
        "uma linha de um lote anterior pode ter estornado este pagamento (a resposta nunca chegou): retida até que a leitura do pagamento no Mercado Pago o esclareça",
    ),
    (
        Why::RefundedEarlier,
        "um lote anterior já estornou este pagamento",
    ),
    (
        Why::Configuration,
        "o endereço ou o certificado da API está errado (configuração)",
    ),
    (
        Why::Outage,
        "não foi possível acessar a API (indisponibilidade)",
    ),
    (Why::PaymentNotFound, "pagamento não encontrado"),
    (Why::NotRefundable, "o pagamento não pode ser estornado"),
    (Why::ExceedsBalance, "mais do que resta no pagamento"),
    (Why::HasRefunds, "o pagamento já tem estornos"),
    (Why::OtherCurrency, "a moeda da linha não é a do pagamento"),
    (
        Why::TooManyPartials,
        "o pagamento tem estornos parciais demais",
    ),
    (Why::TooOld, "pagamento antigo demais para estornar"),
    (
        Why::PaymentUnreadable,
        "não foi possível consultar o pagamento",
    ),
    (
        Why::WrongPaymentId,
        "pagamento não encontrado (ID do pagamento errado?)",
    ),
    (
        Why::PastRefundWindow,
        "pagamento antigo demais para estornar (fora do prazo de 180 dias)",
    ),
    (
        Why::KeyUsed,
        "estorno não encontrado (chave de idempotência já usada)",
    ),
    (
        Why::StateAllowsNoRefund,
        "a situação do pagamento não permite estorno (pendente, cancelado ou já estornado por inteiro)",
    ),
    (Why::GatewayOperation, "operação de gateway inválida"),
    (
        Why::PixContingency,
        "Pix em contingência: o estorno não pode ser feito agora",
    ),
    (Why::NoBalance, "saldo insuficiente na conta para estornar"),
    (
        Why::SecurityCodeLength,
        "tamanho do código de segurança inválido",
    ),
    (
        Why::NoPartialRefunds,
        "este pagamento não aceita estorno parcial (estorne o valor total)",
    ),
    (Why::AmountNotPositive, "o valor deve ser positivo"),
    (Why::AmountNotNumber, "o valor deve ser um número"),
    (
        Why::TooManyDecimals,
        "o valor tem casas decimais demais para a moeda",
    ),
    (
        Why::AmountExceedsLeft,
        "o valor excede o que resta a estornar no pagamento",
    ),
    (Why::KeyMissing, "faltou o cabeçalho X-Idempotency-Key"),
    (Why::AlreadyRefunded, "o pagamento já está estornado"),
    (Why::CardProcessor, "recusado pela processadora do cartão"),
    (Why::SplitterId, "ID de divisão (splitter) inválido"),
    (Why::TokenRefused, "o token de acesso foi recusado"),
    (
        Why::TokenMayNot,
        "o token não tem permissão para estornar este pagamento",
    ),
    (Why::NotFound, "não encontrado"),
    (Why::KeyBusy, "a mesma chave estava ocupada no Mercado Pago"),
    (Why::RateLimited, "requisições demais (limite de taxa)"),
    (Why::ServerFailed, "o servidor do Mercado Pago falhou"),
    (
        Why::RefusedWithoutCause,
        "recusado pela API sem causa informada",
    ),
    (
        Why::TransactionNeeded,
        "o pedido tem várias transações de pagamento: indique uma numa coluna transaction_id",
    ),
    (
        Why::OrderRefundedEarlier,
        "um lote anterior já estornou este pedido",
    ),
    (
        Why::OrderInDoubtEarlier,
        "uma linha de um lote anterior pode ter estornado este pedido (a resposta nunca chegou): retida até que a leitura do pedido no Mercado Pago o esclareça",
    ),
    (
        Why::KeyTooLong,
        "o X-Idempotency-Key é mais longo do que a API de pedidos aceita",
    ),
    (
        Why::NotAnOrderId,
        "não é um ID de pedido que a API de pedidos aceite (ORD e 26 caracteres)",
    ),
    (
        Why::OtherAccountsOrder,
        "o pedido pertence a outra conta (outro token de acesso)",
    ),
    (
        Why::OrderNotFound,
        "pedido não encontrado (ID do pedido errado?)",
    ),
    (
        Why::TransactionNotFound,
        "a transação não é um dos pagamentos do pedido (ID da transação errado?)",
    ),
    (
        Why::OrderNoPartialRefunds,
        "este pedido não aceita estornos parciais (estorne-o por inteiro)",
    ),
    (
        Why::OrderAmountExceedsLeft,
        "o valor passa do que resta a estornar na transação do pedido",
    ),
    (
        Why::OrderHasTips,
        "o pedido tem gorjeta: só o estorno total é permitido",
    ),
    (
        Why::OrderPastWindow,
        "pedido antigo demais para estornar (fora do prazo de estorno)",
    ),
    (
        Why::OrderRefundInProgress,
        "outro estorno do pedido estava em processamento (reenviado com a mesma chave após uma pausa)",
    ),
    (
        Why::KeyUsedOtherRequest,
        "a chave já foi usada com outra requisição: a linha pode ter estornado, a leitura do pedido esclarece",
    ),
    (
        Why::KeyUnchecked,
        "o Mercado Pago não conseguiu verificar a chave e pode ter estornado: a leitura do pedido esclarece antes de qualquer novo envio",
    ),
    (
        Why::OrderTokenMayNot,
        "a conta do token não pode estornar este pedido",
    ),
    (
        Why::OrderAlreadyRefunded,
        "o pedido já foi totalmente estornado",
    ),
    (
        Why::OrderStateAllowsNoRefund,
        "a situação do pedido não permite estorno (só pedidos processados)",
    ),
    (
        Why::OrderHasCashout,
        "o pedido inclui um saque em dinheiro (cashout): só o estorno total é permitido",
    ),
    (
        Why::ChargedBack,
        "o pedido tem um chargeback aberto: um estorno também pagaria duas vezes",
    ),
];
