# As palavras do console em português (Brasil).
# Each message is keyed by its `M` name in kebab-case (src/web/i18n/mod.rs);
# a `why-` message is the meaning of a cause code. Variables ($count, $file…)
# are named in mod.rs beside the key; a test fails when a message is missing.

## Messages

progress-refunded = Dinheiro devolvido:

# CLDR counts 0 as "one" in Portuguese ("0 linha"): the figures of a plan say
# "0 linhas", as people write it, by a [0] variant of their own.

console = console mprefund
nav-batches = Lotes
nav-audit = Trilha de auditoria
log-out = Sair
language = Idioma
login-title = Entrar
login-intro = Devoluções a partir de uma planilha: carregue o arquivo, confira o plano e peça a aprovação.
login-wrong = Conta ou senha incorretas.
login-wait = Muitas tentativas de acesso sem sucesso para esta conta: tente de novo em { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
}.
login-rate = Muitas tentativas de acesso daqui ou com este nome: tente de novo em { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
}.
login-busy = O console está ocupado verificando outros acessos: tente de novo em alguns segundos.
login-too-long = Nenhuma conta tem um nome tão longo: os nomes têm no máximo { $max } caracteres.
login-account = Conta
login-password = Senha
home-upload-title = Carregar uma planilha
home-upload-intro = Um arquivo CSV (vírgula, ponto e vírgula ou tabulação), de até { $mib } MiB, com uma coluna de ID do pagamento e uma de valor. Nada é enviado ao Mercado Pago daqui: primeiro você vê o plano.
home-skip-invalid = Ignorar as linhas com erro (devolver só as corretas)
home-upload-button = Carregar e conferir
home-batches = Lotes
home-no-batch = Nenhum lote ainda.
col-file = Arquivo
col-uploaded-by = Carregado por
col-when = Quando ({ $zone })
col-state = Situação
batch-uploaded = Carregado por { $who } em { $when } ({ $zone }), { $bytes } bytes.
batch-skipping = As linhas com erro serão ignoradas.
batch-rows = { $count ->
    [0] linhas
    [one] linha
   *[other] linhas
}
batch-good = { $count ->
    [0] corretas
    [one] correta
   *[other] corretas
}
batch-bad = com erro
batch-already-refunded = { $count ->
    [0] já devolvidas por lotes anteriores
    [one] já devolvida por lotes anteriores
   *[other] já devolvidas por lotes anteriores
}
batch-blank = { $count ->
    [0] linhas em branco ignoradas
    [one] linha em branco ignorada
   *[other] linhas em branco ignoradas
}
money-title = Valores por moeda
money-none = Nada a devolver: nenhuma linha correta.
col-currency = Moeda
col-rows-with-amount = Linhas com valor
col-sum = Soma desses valores
col-full-refunds = Devoluções totais
money-full-note = Uma devolução total devolve o que resta do pagamento: o valor só é conhecido no envio, por isso não entra na soma.
bad-lines-title = Linhas com erro ({ $count })
bad-lines-intro = Estas linhas não são devolvidas como estão. Corrija-as na planilha e carregue o arquivo de novo
bad-lines-or-skip = , ou continue sem elas.
bad-lines-or-tick = , ou carregue-o de novo marcando “ignorar as linhas com erro”.
col-line = Linha
col-what-to-fix = O que corrigir
prior-title = Já devolvidas por um lote anterior ({ $count })
prior-intro = O pagamento de cada uma destas linhas já tem uma devolução de um lote anterior: elas ficam retidas, para que nenhum pagamento seja devolvido duas vezes por engano.
col-payment = Pagamento
col-earlier-refund = A devolução anterior
read-title = Como o arquivo foi lido
read-encoding = Codificação
read-delimiter = Separador
read-columns = Colunas
col-taken-as = Usada como
col-header-cell = Cabeçalho
col-column = Coluna
read-none = (nenhuma)
prior-refunded = { $amount } devolvido em { $when }, no lote “{ $batch }”
prior-in-process = { $amount } em devolução desde { $when }, no lote “{ $batch }”
prior-in-doubt = { $amount } pode ter sido devolvido em { $when } (a resposta nunca chegou), no lote “{ $batch }”
prior-waiting = { $amount } aguardando o envio, no lote “{ $batch }”
prior-other = { $amount } ({ $state }) em { $when }, no lote “{ $batch }”
prior-whole = o pagamento inteiro
file-no-column = { $file }: não há coluna de { $column }. Cabeçalho lido: { $header }. Dê à coluna um destes nomes: { $names }.
file-looks-like-data = {" "}A primeira linha parece ser de dados: o arquivo precisa de uma linha de cabeçalho.
file-empty = { $file } está vazio: precisa de uma linha de cabeçalho com uma coluna de ID do pagamento e uma de valor.
file-unclosed-quote = { $file }, linha { $line }: uma aspa aberta nesta linha nunca é fechada, e todas as linhas seguintes seriam lidas como uma só célula: feche ou remova a aspa.
read-enc-utf8 = UTF-8
read-enc-utf8-bom = UTF-8 com BOM
read-enc1252 = Windows-1252 (não é UTF-8; acentos lidos como o Excel os gravou)
read-delim-comma = vírgula (,)
read-delim-semicolon = ponto e vírgula (;)
read-delim-tab = tabulação
role-name-payment-id = ID do pagamento
role-name-order-id = ID do pedido
role-name-transaction-id = ID da transação do pedido
role-name-amount = valor
role-name-reference = referência
role-name-kind = tipo
role-name-currency = moeda
find-field-count = a linha tem { $got } células, mas o cabeçalho tem { $want }
find-field-count-comma = {" "}(uma célula com vírgula, como uma vírgula decimal, precisa estar entre aspas)
find-swallowed = a coluna “{ $column }” ocupa várias linhas e contém o que parecem outras linhas: uma aspa aberta na linha { $line } foi fechada tarde demais? Essas linhas se perderiam.
find-undefined-byte = a coluna “{ $column }” tem um byte (0x{ $byte }) que não é UTF-8 nem Windows-1252: salve o arquivo de novo como “CSV UTF-8”
find-amount-blank = o valor está em branco: escreva o valor a devolver, ou “total” para devolver o pagamento inteiro
find-amount-not-a-number = o valor “{ $cell }” não é um número
find-amount-not-positive = o valor “{ $cell }” precisa ser maior que zero
find-amount-signed = escreva o valor “{ $cell }” sem sinal
find-amount-scientific = o valor “{ $cell }” está em notação científica: escreva o número simples (ex.: 1500,00)
find-amount-not-plain = o valor “{ $cell }” precisa ser um número simples, sem símbolo de moeda nem letras
find-amount-separator = o valor “{ $cell }” tem um separador de milhar que não dá para ler: escreva-o sem separador (ex.: 1234,56)
find-amount-separator-unclear = o valor “{ $cell }” tem um separador de milhar, e os valores do arquivo não mostram qual sinal é o decimal: escreva-o sem separador (ex.: 1234,56)
find-amount-decimals = o valor “{ $cell }” tem casas decimais demais: no máximo { $max }
find-amount-no-decimals = o valor “{ $cell }” tem casas decimais, que { $currency } não tem
find-amount-thousands-hint = {" "}(se o “{ $mark }” separa os milhares, remova-o)
find-amount-too-large = o valor “{ $cell }” é grande demais
find-amount-zero = o valor “{ $cell }” é zero: nada a devolver
find-payment-id-blank = o ID do pagamento está em branco
find-payment-id-scientific = o ID do pagamento { $id } está em notação científica (a planilha o reformatou): formate a coluna como texto e exporte de novo
find-payment-id-not-number = o ID do pagamento { $id } não é um número inteiro positivo
find-payment-id-too-long = o ID do pagamento { $id } é longo demais
find-payment-id-range = o ID do pagamento { $id } é maior do que qualquer ID de pagamento
find-ids-blank = o ID do pagamento e o ID do pedido estão em branco
find-duplicate = repete a linha { $line } (mesmo pagamento, valor e referência): apague uma delas, ou dê a cada uma sua própria referência
find-currency = a moeda “{ $cell }” não é uma das que o Mercado Pago usa
find-kind = o tipo “{ $cell }” não é “payment”, “advanced_payment” nem “order”
find-order = o pedido desta linha não pode ser devolvido como está escrito
bytes = bytes
audit-title = Trilha de auditoria
audit-intro = Cada acesso, carregamento e etapa, dos mais recentes aos mais antigos (os últimos { $count }). Nada aqui pode ser editado ou apagado.
audit-download = Baixar tudo em CSV
audit-nothing = Nada ainda.
col-account = Conta
col-what = O quê
col-from = De onde
col-batch = Lote
col-detail = Detalhe
problem-title = Problema
not-found-title = Não encontrado
not-found-text = Este lote ou página não existe. Talvez o endereço tenha sido digitado errado; a lista de lotes está na primeira página.
first-page = Primeira página
empty-title = O arquivo está vazio
empty-text = Ele não tem nenhum byte. Exporte a planilha de novo como CSV, com a linha de cabeçalho, e carregue esse arquivo.
workbook-title = Isto é uma pasta de trabalho, não um arquivo CSV
workbook-text = Abra no Excel (ou LibreOffice) e salve como CSV: Arquivo → Salvar como → CSV UTF-8 (separado por vírgulas). Depois carregue o arquivo .csv.
no-file-title = Nenhum arquivo escolhido
no-file-text = Escolha o arquivo CSV e depois carregue-o.
unreadable-title = O arquivo não pode ser lido como uma planilha de devoluções
unreadable-text = Nada foi guardado. O que a leitura encontrou:
removed-title = A planilha deste lote foi removida
removed-text = As planilhas carregadas ficam guardadas alguns dias depois do fim do lote e depois são removidas. O lote, os resultados e a trilha de auditoria continuam.
back-to-batches = Voltar aos lotes
err-no-batch = lote não encontrado
err-not-found = não encontrado
err-not-logged-in = você não está conectado (ou a sessão terminou): entre em /login
err-csrf = o código de segurança do formulário falta ou está errado: recarregue a página e tente de novo
err-origin = este pedido veio de uma página que não é do console e foi recusado: abra o console e faça isso por lá
err-role = o papel da sua conta não permite fazer isto
err-cannot-submit = o lote está { $state }: a aprovação não pode ser pedida agora
err-cannot-decide = o lote está { $state }: não pode ser aprovado nem rejeitado agora
err-not-sendable = o lote está { $state }: só um lote aprovado é enviado
err-being-sent = o lote já está sendo enviado
err-not-being-sent = o lote não está sendo enviado
err-canary = canary={ $value }: o número de linhas a enviar primeiro, 1 ou mais
err-no-token-send = este console foi iniciado sem o token de acesso do Mercado Pago, então não pode enviar: um administrador precisa reiniciá-lo com o token da conta
err-no-token-approve = este console foi iniciado sem o token de acesso do Mercado Pago, então não pode preparar o lote para o envio; nada foi aprovado. Um administrador precisa reiniciá-lo com o token da conta
err-submitted-already = a aprovação deste lote já foi pedida
err-decided-already = já houve uma decisão sobre o lote
err-own-batch = você pediu a aprovação deste lote: outra pessoa o aprova ou recusa
err-say-why = diga por que o lote é rejeitado
err-bad-lines = o arquivo tem { $count ->
    [one] 1 linha com erro: corrija-a
   *[other] { $count } linhas com erro: corrija-as
} e carregue o arquivo de novo, ou carregue-o marcando "ignorar as linhas com erro"
err-total-differs = o total não confere: { $detail }
err-not-approved = não aprovado: { $detail }
err-sent-already = o lote já foi enviado
err-type-total = digite o total que você espera, por moeda (ex.: R$ 1.234,56)
err-bad-total = { $typed } não é um total que o console consiga ler: digite-o como o plano mostra, ex.: R$ 1.234,56 ou 1234,56 BRL; as linhas de pagamento inteiro que não puderam ser lidas vão à parte: + 2 totais
err-too-large = o arquivo tem mais de { $mib } MiB
err-unknown-language = idioma desconhecido
err-internal = algo deu errado no servidor; o log diz o quê
err-no-results = o lote ainda não tem resultados: não foi enviado
err-filter = filtro: all, failed, needs-person ou refunded
err-page = página: um número de página, 1 ou mais
err-format = formato: mprefund ou mp-batch
err-not-retryable = o lote está { $state }: só se tenta de novo um lote concluído ou interrompido
err-retry-pending = { $count ->
    [one] 1 linha ainda não foi enviada
   *[other] { $count } linhas ainda não foram enviadas
}: envie o restante primeiro (enviar agora); nada foi tentado de novo
err-nothing-to-retry = nenhuma linha com falha para tentar de novo (uma linha que falhou de vez precisa de uma pessoa)
err-books-while-sending = o lote está sendo enviado: confira com o Mercado Pago quando o envio terminar
err-books-not-sent = o lote está { $state }: nenhuma devolução foi pedida ao Mercado Pago ainda, então não há o que conferir
err-no-token-books = este console foi iniciado sem o token de acesso do Mercado Pago, então não pode conciliar com o Mercado Pago: um administrador precisa reiniciá-lo com o token da conta
err-books-reading = este lote já está sendo conferido com o Mercado Pago
err-books-not-read = este lote ainda não foi conferido com o Mercado Pago
err-no-report-match = nenhum relatório do Mercado Pago foi casado com este lote ainda
err-being-reconciled = este lote está sendo conferido com o Mercado Pago: envie-o quando a conferência terminar; nada foi enviado
causes-title = Por que linhas não foram devolvidas
col-cause = Causa
col-meaning = O que significa
col-next = O que fazer
next-retry = tentar de novo: reenviar com a mesma chave é seguro
next-reconcile = conciliar: consultar a devolução no Mercado Pago mais tarde
next-fix-row = corrigir a linha na planilha e carregar o arquivo de novo
next-needs-person = precisa de uma pessoa: verifique o pagamento no Mercado Pago
next-nothing = nada a fazer
books-link = Conciliação: conferir com o Mercado Pago, ou casar com um relatório
books-title = Conciliação
books-intro = Lê de novo cada pagamento do lote no Mercado Pago e compara as devoluções dele com o que o lote fez. Nada é enviado; uma devolução que foi aprovada ou recusada depois fica anotada na linha.
books-button = Conferir agora
books-again = Conferir de novo
books-none = Ainda não conferido.
books-working = Conferindo… Esta página se atualiza sozinha; um lote grande demora (uma consulta por pagamento, no ritmo do console).
books-started-by = Iniciada por { $who } em { $when } ({ $zone }).
books-done-by = Conferido por { $who } em { $when } ({ $zone }).
books-agree = Tudo confere: nada a fazer.
books-disagree = Algumas linhas não conferem: abaixo, o que cada achado quer dizer e o que fazer.
books-stopped = Parou antes do fim ({ $why }): nada foi alterado. Confira de novo.
books-updated = { $count ->
    [one] 1 linha atualizada: a devolução dela
   *[other] { $count } linhas atualizadas: a devolução delas
} foi aprovada ou recusada depois.
books-failed = Não foi possível conferir:
books-download = Baixar a conciliação (CSV)
books-first-lines = As primeiras { $shown } de { $total } linhas.
col-finding = Achado
col-lines = Linhas
col-money = Valor
col-row = Linha do lote
col-refund = Devolução
col-ours = Valor do lote
col-at-mp = No Mercado Pago
col-mp-status = Situação lá
report-title = Casar com um relatório do Mercado Pago
report-intro = Carregue um relatório de liquidações ou de liberações (CSV, até { $mib } MiB), como baixado do Mercado Pago: cada linha dele sobre os pagamentos do lote é comparada com as devoluções do lote. Nada é enviado ao Mercado Pago.
report-button = Carregar e comparar
report-none = Nenhum relatório casado ainda.
report-download = Baixar o último casamento (CSV)
report-done = { $report }, casado por { $who } em { $when } ({ $zone }).
report-outside = Nenhuma linha do relatório cai no período do lote: use o relatório dos dias em que o lote foi enviado.
report-period = O relatório cobre de { $from } a { $to }.
col-report = Relatório
col-report-type = Tipo
col-per-batch = Segundo o lote
col-per-report = Segundo o relatório
not-a-report-title = O arquivo não pode ser lido como um relatório do Mercado Pago
not-a-report-text = Nada foi comparado. Carregue o relatório de liquidações ou de liberações como o Mercado Pago o entrega (CSV). O que o leitor encontrou:
find-matched = Devolução conferida: está no Mercado Pago com o mesmo id, valor e situação.
find-matched-next = nada a fazer
find-settled = A devolução estava em processamento; o Mercado Pago a aprovou depois (a linha agora está devolvida).
find-settled-next = nada a fazer
find-rejected-later = A devolução foi feita e depois cancelada ou recusada no Mercado Pago: o dinheiro não voltou (a linha agora falhou).
find-rejected-later-next = veja o motivo no painel do Mercado Pago; devolva de novo num novo lote se ainda for devido
find-missing-at-mp = O lote diz devolvido, mas o pagamento não mostra essa devolução.
find-missing-at-mp-next = uma pessoa confere o pagamento no painel do Mercado Pago antes de qualquer novo envio
find-amount-differs = A devolução está lá com outro valor que o do lote.
find-amount-differs-next = uma pessoa compara os dois valores no painel; devolva a diferença à mão se for devida
find-outside-refund = Uma devolução num pagamento do lote que nenhum lote deste console fez (à mão, ou outra ferramenta).
find-outside-refund-next = confira que o cliente não recebeu a devolução duas vezes
find-unknown-outcome-found = A linha foi enviada e a resposta se perdeu; o pagamento mostra uma devolução do valor dela.
find-unknown-outcome-found-next = envie o lote de novo: a mesma chave repete essa devolução, nada é pago duas vezes
find-no-refund = Nada foi devolvido para a linha, e o Mercado Pago concorda.
find-no-refund-next = nada a fazer (veja a causa da linha na página do lote)
find-in-doubt = A linha pode ter sido devolvida (a resposta nunca chegou) e o pagamento ainda não mostra uma devolução dela; foi lido cedo demais para dizer que nenhuma foi feita.
find-in-doubt-next = confira de novo mais tarde: passado o tempo de espera, nenhuma devolução encontrada quer dizer que nenhuma foi feita
find-unreadable = Não foi possível ler o pagamento no Mercado Pago.
find-unreadable-next = confira de novo mais tarde
rep-matched = O relatório mostra a devolução do lote, mesmo pagamento e valor.
rep-matched-next = nada a fazer
rep-matched-ambiguous = Conferida, mas o pagamento tem outra devolução do mesmo valor que poderia ser ela (comparadas da mais antiga à mais nova).
rep-matched-ambiguous-next = nada a fazer, a menos que os totais difiram
rep-amount-differs = O relatório mostra a devolução do lote com outro valor.
rep-amount-differs-next = uma pessoa compara os valores no painel
rep-missing-in-report = Uma devolução do lote, feita bem dentro do período do relatório, que nenhuma linha dele mostra.
rep-missing-in-report-next = confira com o Mercado Pago (conciliação) e veja se o relatório cobre o período inteiro
rep-not-in-batch = Uma devolução num pagamento do lote que o lote não fez.
rep-not-in-batch-next = confira que o cliente não recebeu a devolução duas vezes
rep-chargeback = Uma contestação num pagamento que o lote devolveu: o dinheiro pode sair duas vezes.
rep-chargeback-next = uma pessoa responde à contestação ou pede o dinheiro de volta
rep-out-of-period = Uma devolução do lote feita fora do período do relatório, ou perto demais das bordas para esperá-la ali.
rep-out-of-period-next = case com o relatório dos dias em que foi feito
rep-reserve = Dinheiro retido para uma devolução (relatório de liberações), mostrado à parte.
rep-reserve-next = nada a fazer
state-uploaded = carregado
state-submitted = aguardando aprovação
state-approved = aprovado
state-rejected = recusado
state-sending = enviando
state-stopped = interrompido
state-finished = concluído
state-expired = expirado
outcome-refunded = devolvido
outcome-in-process = em processamento
outcome-failed = falhou
outcome-invalid = inválido
outcome-pending = pendente
outcome-unknown = pode ter sido devolvido
results-title = Resultados
results-link = O resultado de cada linha, com filtros e downloads
filter-all = Todas
filter-failed = Com falha
filter-needs-person = Precisa de uma pessoa
filter-refunded = Devolvidas
results-filters = Com falha: não devolvidas, e nada em andamento (o Mercado Pago recusou, ou a linha está errada) — e as linhas que podem ter sido devolvidas, cuja resposta nunca chegou: tentar de novo envia a mesma chave, a conciliação as lê no Mercado Pago. Precisa de uma pessoa: linhas que a ferramenta não conclui sozinha — falhas definitivas, linhas com erro, devoluções feitas com outro valor ou em outro pagamento. Devolvidas: a devolução existe (devolvida, ou em processamento: é liquidada depois). Linhas ainda por enviar aparecem só em Todas.
results-download = Baixar os resultados para outros sistemas (CSV, nas colunas da ferramenta)
results-download-mp = Baixar nas colunas do lote do Mercado Pago
results-none = Nenhuma linha aqui.
results-not-yet = Este lote ainda não tem resultados: eles aparecem depois que ele for enviado.
results-page = página { $page } de { $pages }
results-prev = ← anterior
results-next = próxima →
col-amount = Valor
col-refund-id = Devolução
col-refund-status = Situação da devolução
amount-full = devolução total
amount-full-was = devolução total: { $amount }
retry-button = Tentar de novo as linhas com falha ({ $count })
retry-what = Só as linhas que falharam por um motivo passageiro são enviadas de novo, cada uma com a sua chave: o Mercado Pago faz cada devolução uma única vez.
flow-title = Aprovação
flow-submitted-by = Aprovação pedida por
flow-at = em { $when }
flow-expecting = , esperando { $total }
flow-rejected-by = Rejeitado por
flow-approved-by = Aprovado por
flow-why = Motivo
flow-ledger-batch = Lote no arquivo de estado
flow-expired = Não foi aprovado em até { $days ->
    [one] 1 dia
   *[other] { $days } dias
} após o carregamento: este lote expirou. Carregue o arquivo de novo para recomeçar.
submit-total = Total que você espera, por moeda (ex.:
submit-total-several = ; um por linha se houver várias)
submit-button = Pedir aprovação
approve-total = Digite o total de novo, por moeda, como você o lê no plano abaixo
approve-button = Aprovar
reject-reason = Motivo da rejeição
reject-button = Rejeitar
send-now = Enviar agora
send-rest = Enviar agora (o restante)
send-canary = Enviar antes { $count ->
    [one] a próxima linha
   *[other] as próximas { $count } linhas
} e conferir
progress-of = de
progress-rows-done = linhas concluídas
progress-rate = linhas/s
progress-left = restantes
progress-full = totais
stop-button = Parar (as linhas em andamento terminam; o restante espera)
answered-title = Linhas enviadas até agora
answered-first = {" "}(as primeiras { $count })
col-outcome = Resultado
col-what-happened = O que aconteceu
err-total-currency = o total { $typed } está em { $typed-currency }, mas as linhas deste arquivo estão em { $currency }: digite-o em { $currency }
err-total-full-apart = { $count ->
    [one] 1 linha devolve
   *[other] { $count } linhas devolvem
} um pagamento inteiro que não pôde ser lido no Mercado Pago, então o valor não está em total nenhum: indique à parte, ex.: { $example }
err-cover-reading = os pagamentos das linhas que devolvem um pagamento inteiro ainda estão sendo lidos no Mercado Pago ({ $done } de { $total }): tente de novo em instantes
err-total-no-account = este arquivo não tem coluna de moeda e a moeda da conta não pôde ser lida no Mercado Pago: digite o total sem moeda, ou defina `currency` no arquivo do job
cover-reading = Lendo no Mercado Pago os pagamentos das linhas que devolvem um pagamento inteiro: { $done } de { $total }…
cover-to-type = O total a digitar, com todas as linhas:
cover-read = As linhas que devolvem um pagamento inteiro estão nele: o que resta de cada pagamento, lido no Mercado Pago.
cover-unread = { $count ->
    [one] 1 linha devolve
   *[other] { $count } linhas devolvem
} um pagamento inteiro que não pôde ser lido no Mercado Pago: o valor só é conhecido no envio, então o total as indica à parte (`+ { $count } totais`).
cover-account = O arquivo não tem coluna de moeda: suas linhas estão na moeda da conta, { $currency }.
look-only = Somente consulta: este console foi iniciado sem o token de acesso do Mercado Pago. Planos, resultados e a trilha de auditoria podem ser lidos; nada pode ser aprovado nem enviado até que um administrador o reinicie com o token da conta.
role-submitter = solicitante
role-approver = aprovador
role-admin = administrador
refused-title = Isto não foi feito
back-to-batch = Voltar ao lote
err-total-no-match = o total digitado, { $typed }, não confere com este lote. Confira de novo com os seus próprios números e digite-o outra vez.
err-total-differs-sum = o total digitado, { $typed }, não confere: os valores deste arquivo somam { $sum }. Confira o arquivo ou digite o total de novo.
err-total-full-count = o total digitado indica à parte { $named ->
    [one] 1 linha
   *[other] { $named } linhas
} de pagamento inteiro, mas { $unread } não puderam ser lidas no Mercado Pago: digite-o de novo indicando { $unread } à parte (+ { $unread } totais).
err-total-needs-currency = este arquivo tem linhas em { $currencies }: digite um total por moeda, cada um com a sua moeda (ex.: R$ 1.234,56 ou 1500 CLP), um por linha.
err-total-twice = foram digitados dois totais em { $currency }: digite um por moeda.
err-total-missing = este arquivo tem linhas em { $currency } e nenhum total foi digitado para essa moeda: digite um total por moeda.
no-currency-name = moeda da conta
total-example = R$ 1.234,56

## What a cause code means

why-no-trusted-answer = nenhuma resposta confiável (a devolução pode ou não existir)
why-unknown-refund-status = a devolução tem uma situação que a ferramenta não conhece
why-refund-rejected = a devolução foi recusada ou cancelada: nenhum dinheiro foi movido
why-other-amount = devolvido, mas com outro valor que o pedido
why-other-payment = devolvido, mas em outro pagamento que o pedido
why-bad-line = uma linha com erro na planilha
why-in-doubt-earlier = uma linha de um lote anterior pode ter devolvido este pagamento (a resposta nunca chegou): retida até que a leitura do pagamento no Mercado Pago o esclareça
why-refunded-earlier = um lote anterior já devolveu este pagamento
why-configuration = o endereço ou o certificado da API está errado (configuração)
why-outage = não foi possível acessar a API (indisponibilidade)
why-payment-not-found = pagamento não encontrado
why-not-refundable = o pagamento não pode ser devolvido
why-exceeds-balance = mais do que resta no pagamento
why-has-refunds = o pagamento já tem devoluções
why-other-currency = a moeda da linha não é a do pagamento
why-too-many-partials = o pagamento tem devoluções parciais demais
why-too-old = pagamento antigo demais para devolver
why-payment-unreadable = não foi possível consultar o pagamento
why-wrong-payment-id = pagamento não encontrado (ID do pagamento errado?)
why-past-refund-window = pagamento antigo demais para devolver (fora do prazo de 180 dias)
why-key-used = devolução não encontrada (chave de idempotência já usada)
why-state-allows-no-refund = a situação do pagamento não permite devolução (pendente, cancelado ou já devolvido por inteiro)
why-gateway-operation = operação de gateway inválida
why-pix-contingency = Pix em contingência: a devolução não pode ser feita agora
why-no-balance = saldo insuficiente na conta para devolver
why-security-code-length = tamanho do código de segurança inválido
why-no-partial-refunds = este pagamento não aceita devolução parcial (devolva o valor total)
why-amount-not-positive = o valor deve ser positivo
why-amount-not-number = o valor deve ser um número
why-too-many-decimals = o valor tem casas decimais demais para a moeda
why-amount-exceeds-left = o valor excede o que resta a devolver no pagamento
why-key-missing = faltou o cabeçalho X-Idempotency-Key
why-already-refunded = o pagamento já está devolvido
why-card-processor = recusado pela processadora do cartão
why-splitter-id = ID de divisão (splitter) inválido
why-token-refused = o token de acesso foi recusado
why-token-may-not = o token não tem permissão para devolver este pagamento
why-not-found = não encontrado
why-key-busy = a mesma chave estava ocupada no Mercado Pago
why-rate-limited = requisições demais (limite de taxa)
why-server-failed = o servidor do Mercado Pago falhou
why-refused-without-cause = recusado pela API sem causa informada
why-transaction-needed = o pedido tem várias transações de pagamento: indique uma numa coluna transaction_id
why-order-refunded-earlier = um lote anterior já devolveu este pedido
why-order-in-doubt-earlier = uma linha de um lote anterior pode ter devolvido este pedido (a resposta nunca chegou): retida até que a leitura do pedido no Mercado Pago o esclareça
why-key-too-long = o X-Idempotency-Key é mais longo do que a API de pedidos aceita
why-not-an-order-id = não é um ID de pedido que a API de pedidos aceite (ORD e 26 caracteres)
why-other-accounts-order = o pedido pertence a outra conta (outro token de acesso)
why-order-not-found = pedido não encontrado (ID do pedido errado?)
why-transaction-not-found = a transação não é um dos pagamentos do pedido (ID da transação errado?)
why-order-no-partial-refunds = este pedido não aceita devoluções parciais (devolva-o por inteiro)
why-order-amount-exceeds-left = o valor passa do que resta a devolver na transação do pedido
why-order-has-tips = o pedido tem gorjeta: só a devolução total é permitida
why-order-past-window = pedido antigo demais para devolver (fora do prazo de devolução)
why-order-refund-in-progress = outra devolução do pedido estava em processamento (reenviada com a mesma chave após uma pausa)
why-key-used-other-request = a chave já foi usada com outra requisição: a linha pode ter sido devolvida, a leitura do pedido esclarece
why-key-unchecked = o Mercado Pago não conseguiu verificar a chave e pode ter feito a devolução: a leitura do pedido esclarece antes de qualquer novo envio
why-order-token-may-not = a conta do token não pode devolver este pedido
why-order-already-refunded = o pedido já foi totalmente devolvido
why-order-state-allows-no-refund = a situação do pedido não permite devolução (só pedidos processados)
why-order-has-cashout = o pedido inclui um saque em dinheiro (cashout): só a devolução total é permitida
why-charged-back = o pedido tem uma contestação aberta: uma devolução também pagaria duas vezes

## The finished page, the same file twice, downloads

repeat-title = Este arquivo repete devoluções já feitas
repeat-intro = Lotes anteriores já devolveram, ou podem ter devolvido, linhas deste arquivo: { $count } no total.
repeat-batch = lote “{ $batch }”, enviado por último em { $when } ({ $zone }): { $rows } destas linhas
repeat-batch-no-date = lote “{ $batch }”: { $rows } destas linhas
repeat-why = Essas linhas não são devolvidas de novo, mas pedir aprovação para este arquivo poria o mesmo dinheiro num segundo lote, contado duas vezes em qualquer relatório feito a partir da lista de lotes. Peça a aprovação só se for essa a intenção, marcando a confirmação abaixo do total.
repeat-confirm = Sei que lotes anteriores já devolveram linhas deste arquivo ({ $count } no total) e peço a aprovação mesmo assim.
repeat-rows-note = Uma linha que repete uma linha já enviada por um lote anterior não é enviada de novo: o dinheiro dela é daquele lote.
err-repeat-not-confirmed = lotes anteriores já devolveram, ou podem ter devolvido, linhas deste arquivo ({ $count } no total): para pedir a aprovação mesmo assim, marque a confirmação abaixo do total. Nenhuma aprovação foi pedida.
sum-title = O que aconteceu com cada linha
sum-col-part = Resultado
sum-col-rows = Linhas
sum-col-money = Valor por moeda
sum-refunded = Devolvidas
sum-refunded-what = a devolução existe no Mercado Pago (concluída ou em processamento: o status diz qual)
sum-failed = Com falha
sum-failed-what = o Mercado Pago recusou a devolução, ou todas as tentativas falharam: nenhum dinheiro saiu; as causas abaixo dizem o que fazer
sum-in-doubt = Em dúvida
sum-in-doubt-what = uma requisição pode ter devolvido, mas a resposta nunca chegou: confira com o Mercado Pago antes de enviar qualquer coisa de novo
sum-not-sent = Não enviadas
sum-not-sent-what = linhas com erro, linhas retidas porque um lote anterior já devolveu o pagamento, e linhas ainda a enviar: nenhum dinheiro saiu
sum-total = Todas as linhas
sum-causes-title = Causas: o que significam e o que fazer
sum-cause-unknown = um código que esta ferramenta não conhece: a mensagem do próprio Mercado Pago está na página de resultados
sum-too-large = (grande demais)
said-uploaded = Arquivo recebido: confira o plano abaixo.
said-submitted = Aprovação pedida: agora aguarda que outra pessoa o aprove.
said-approved = Aprovado: pode ser enviado agora, ou esta noite.
said-rejected = Rejeitado: o motivo fica registrado no lote.
said-sent = Envio iniciado: esta página acompanha até o fim.
said-canary = Envio das primeiras linhas iniciado: confira as respostas antes de enviar o resto.
said-retried = As linhas com falha estão sendo enviadas de novo: esta página acompanha até o fim.
said-stopped = Interrupção pedida: nenhuma outra linha é enviada depois que as em andamento forem respondidas; o resto pode ser enviado depois.
col-last-attempt-at = Último envio ({ $zone })
results-download-people = Baixar estas linhas ({ $which }) para o Excel, em português

## Audit and leftovers
audit-login-ok = Entrou
audit-login-failed = Entrada recusada
audit-login-throttled = Entrada suspensa após falhas
audit-logout = Saiu
audit-upload = Carregou um arquivo
audit-upload-refused = Carregamento recusado
audit-audit-download = Baixou a trilha de auditoria
audit-submit = Pediu aprovação
audit-approve = Aprovou
audit-reject = Recusou
audit-send = Enviou
audit-stop = Interrompeu o envio
audit-interrupted = Envio interrompido (o console parou)
audit-results-download = Baixou os resultados
audit-retry = Tentou de novo as linhas com falha
audit-reconcile = Conciliou com o Mercado Pago
audit-reconcile-download = Baixou a conciliação
audit-report = Comparou um relatório do Mercado Pago
audit-report-refused = Relatório recusado
audit-report-download = Baixou a comparação com o relatório
audit-decision-refused = Decisão recusada
audit-upload-removed = Arquivo carregado removido
audit-step-refused = Passo recusado
audit-why-forged = o formulário não veio da página desta sessão (uma aba antiga, ou uma requisição forjada)
audit-why-role = o papel da conta não permite este passo
audit-why-wrong-total = o total digitado não confere
audit-why-not-confirmed = lotes anteriores já devolveram linhas deste arquivo e isso não foi confirmado
audit-why-bad-lines = o arquivo tem linhas com erro e não foi carregado para ignorá-las
audit-refused-detail = { $step }: { $why }
audit-folded = { $count ->
    [one] uma vez
   *[other] { $count } vezes
}, de { $first } a { $last }
audit-folded-note = As entradas de uma conta, de um mesmo tipo e dia, aparecem numa só linha, que diz quantas foram.
audit-col-code = Código
audit-col-batch-id = Identificador do lote
typed-full = { $count ->
    [one] total
   *[other] totais
}
audit-detail-upload = { $file }: { $rows ->
    [one] uma linha
   *[other] { $rows } linhas
} (corretas: { $valid }, com erro: { $invalid }), { $bytes } bytes
audit-detail-skipping = linhas com erro ignoradas
audit-detail-total = total { $total }
audit-detail-repeated = { $count ->
    [one] confirmado: uma linha já devolvida por lotes anteriores
   *[other] confirmado: { $count } linhas já devolvidas por lotes anteriores
}
audit-detail-ledger = lote { $batch } no arquivo de estado
audit-detail-canary = { $count ->
    [one] só a primeira linha
   *[other] só as primeiras { $count } linhas
}
audit-detail-night = pelo envio noturno (mprefund run --approved)
audit-detail-interrupted = o processo que o enviava terminou antes do lote; enviá-lo de novo o retoma com as mesmas chaves
audit-detail-results-file = arquivo de resultados para outros sistemas, { $format ->
    [mp-batch] nas colunas do lote do Mercado Pago
   *[other] nas colunas da ferramenta
}
audit-detail-results-people = as linhas para o Excel — { $which }, { $lang }
audit-detail-retry = { $count ->
    [one] uma linha com falha
   *[other] { $count } linhas com falha
}
audit-detail-own-batch = o lote é da própria conta
audit-detail-wrong-password = senha errada
audit-detail-no-account = conta inexistente ou desativada
audit-detail-removed = { $file }: { $days ->
    [one] um dia
   *[other] { $days } dias
} depois do fim do lote ({ $when })
find-name-matched = Confere
find-name-settled = Concluída depois
find-name-rejected-later = Recusada depois
find-name-missing-at-mp = Não está no Mercado Pago
find-name-amount-differs = Valor diferente
find-name-outside-refund = Devolução feita por fora
find-name-unknown-outcome-found = Resposta perdida, devolução encontrada
find-name-no-refund = Sem devolução
find-name-in-doubt = Ainda em dúvida
find-name-unreadable = Pagamento não lido
rep-name-matched = No relatório
rep-name-matched-ambiguous = No relatório, ambíguo
rep-name-amount-differs = Outro valor no relatório
rep-name-missing-in-report = Falta no relatório
rep-name-not-in-batch = Não feita pelo lote
rep-name-chargeback = Contestação de pagamento devolvido
rep-name-out-of-period = Fora do período do relatório
rep-name-reserve = Reserva para devolução
send-tonight-next = Ou deixe para esta noite: se quem administra este console agendou o envio noturno, ele envia todos os lotes aprovados, este também. Depois, esta página mostra o que aconteceu com cada linha.
operator-title = Para quem administra o console
operator-night = O envio noturno é o comando abaixo, rodado na máquina do console com o arquivo do job (o jobs/mprefund-approved.timer que acompanha a ferramenta o roda às 03:00). Este lote é o { $batch } no arquivo de estado.
money-account-note = Valores sem símbolo de moeda estão na moeda da conta do Mercado Pago: o arquivo não tem coluna de moeda.
