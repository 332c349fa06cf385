# bash completion for kchat(1): commands, options, and -X librdkafka property names.
# Installed by `cmake --install` as $datadir/bash-completion/completions/kchat; or source it.

_kchat_props="bootstrap.servers client.id security.protocol sasl.mechanism sasl.mechanisms
sasl.username sasl.password sasl.kerberos.service.name sasl.kerberos.principal
sasl.kerberos.keytab sasl.oauthbearer.method sasl.oauthbearer.client.id
sasl.oauthbearer.client.secret sasl.oauthbearer.token.endpoint.url sasl.oauthbearer.scope
ssl.ca.location ssl.ca.pem ssl.certificate.location ssl.certificate.pem ssl.key.location
ssl.key.pem ssl.key.password ssl.keystore.location ssl.keystore.password ssl.cipher.suites
ssl.endpoint.identification.algorithm enable.ssl.certificate.verification
ssl.providers socket.timeout.ms socket.keepalive.enable socket.connection.setup.timeout.ms
connections.max.idle.ms reconnect.backoff.ms reconnect.backoff.max.ms metadata.max.age.ms
topic.metadata.refresh.interval.ms request.timeout.ms message.timeout.ms
message.max.bytes compression.type broker.address.family client.dns.lookup debug
log_level statistics.interval.ms fetch.wait.max.ms fetch.min.bytes session.timeout.ms
heartbeat.interval.ms queue.buffering.max.ms queue.buffering.max.messages
queue.buffering.max.kbytes client.rack"

_kchat_common="-b --brokers -X --property --identity --trust-any --handshake-timeout --batch
--json --log -v --verbose -h --help"

_kchat_options() {
    case "$1" in
    listen) echo "$_kchat_common --echo --resume --new --no-history --name --topic-prefix --trust --state --invitation-file" ;;
    connect) echo "$_kchat_common --timeout --invitation-file --a2b --b2a --no-history --name" ;;
    id) echo "--identity --seal -h --help" ;;
    forget) echo "--invitation-file --listen --state -h --help" ;;
    *) echo "-b --brokers -X --property --identity -h --help -V --version" ;;
    esac
}

# Values of a few -X properties.
_kchat_value() {
    case "$1" in
    security.protocol)
        COMPREPLY=($(compgen -W "PLAINTEXT SSL SASL_PLAINTEXT SASL_SSL" -- "$2"))
        ;;
    sasl.mechanism | sasl.mechanisms)
        COMPREPLY=($(compgen -W "PLAIN SCRAM-SHA-256 SCRAM-SHA-512 GSSAPI OAUTHBEARER" -- "$2"))
        ;;
    esac
}

_kchat() {
    local cur prev cmd i
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD - 1]}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
        listen | connect | id | forget)
            cmd="${COMP_WORDS[i]}"
            break
            ;;
        esac
    done
    # bash splits "security.protocol=SASL_" at "=" (COMP_WORDBREAKS): the value of a property
    if [[ "$cur" == "=" || "$prev" == "=" ]]; then
        local at=$((COMP_CWORD - 1)) value="$cur"
        [[ "$cur" == "=" ]] && value=""
        [[ "$prev" == "=" ]] && at=$((COMP_CWORD - 2))
        case "${COMP_WORDS[at - 1]}" in
        -X | --property) _kchat_value "${COMP_WORDS[at]}" "$value" ;;
        esac
        return
    fi
    case "$prev" in
    -X | --property)
        COMPREPLY=($(compgen -S = -W "$_kchat_props" -- "$cur"))
        compopt -o nospace 2>/dev/null
        return
        ;;
    --identity | --state | --log | --invitation-file)
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
        return
        ;;
    -b | --brokers | --trust | --timeout | --handshake-timeout | --a2b | --b2a)
        return
        ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_kchat_options "$cmd")" -- "$cur"))
    elif [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "listen connect id forget" -- "$cur"))
    fi
}

complete -F _kchat kchat
