# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_chat_global_optspecs
    string join \n json socket= h/help V/version
end

function __fish_chat_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_chat_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_chat_using_subcommand
    set -l cmd (__fish_chat_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c chat -n "__fish_chat_needs_command" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_needs_command" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat -n "__fish_chat_needs_command" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_needs_command" -f -a "status" -d 'Show chatd\'s link to the server, the account and the version'
complete -c chat -n "__fish_chat_needs_command" -f -a "signup" -d 'Create an account on the server and log in'
complete -c chat -n "__fish_chat_needs_command" -f -a "login" -d 'Log in to an existing account'
complete -c chat -n "__fish_chat_needs_command" -f -a "logout" -d 'Log out (chatd keeps the history)'
complete -c chat -n "__fish_chat_needs_command" -f -a "passwd" -d 'Change the account\'s password'
complete -c chat -n "__fish_chat_needs_command" -f -a "users" -d 'List users on the server'
complete -c chat -n "__fish_chat_needs_command" -f -a "send" -d 'Send a message (the text is read from stdin when not given)'
complete -c chat -n "__fish_chat_needs_command" -f -a "history" -d 'Show the conversation with a user, oldest first'
complete -c chat -n "__fish_chat_needs_command" -f -a "message" -d 'Show one message by id (as `watch` and `send` name them)'
complete -c chat -n "__fish_chat_needs_command" -f -a "conversations" -d 'List conversations, most recent first'
complete -c chat -n "__fish_chat_needs_command" -f -a "read" -d 'Mark the conversation with a user read (sends read receipts)'
complete -c chat -n "__fish_chat_needs_command" -f -a "search" -d 'Search the local history'
complete -c chat -n "__fish_chat_needs_command" -f -a "fingerprint" -d 'Show a fingerprint (yours when no user is given) to compare in person'
complete -c chat -n "__fish_chat_needs_command" -f -a "verify" -d 'Record that you compared a user\'s fingerprint and it matched'
complete -c chat -n "__fish_chat_needs_command" -f -a "trust" -d 'Accept a user\'s changed key (it becomes unverified)'
complete -c chat -n "__fish_chat_needs_command" -f -a "watch" -d 'Print events as they happen until interrupted, waiting out chatd restarts'
complete -c chat -n "__fish_chat_needs_command" -f -a "settings" -d 'Show chatd\'s settings, or change one (they apply to every frontend)'
complete -c chat -n "__fish_chat_needs_command" -f -a "demo" -d 'Run a server and two daemons in a temp dir and show them chatting'
complete -c chat -n "__fish_chat_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand status" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand status" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand status" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand status" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand signup" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand signup" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c chat -n "__fish_chat_using_subcommand signup" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand signup" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand signup" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand login" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand login" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c chat -n "__fish_chat_using_subcommand login" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand login" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand login" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand logout" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand logout" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand logout" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand logout" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand passwd" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand passwd" -l password-stdin -d 'Read the current and the new password from the first two lines of stdin'
complete -c chat -n "__fish_chat_using_subcommand passwd" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand passwd" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand passwd" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand users" -l limit -d 'At most this many (0 lists none) [default: 50, at most 500]' -r
complete -c chat -n "__fish_chat_using_subcommand users" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand users" -l online -d 'Only users online now'
complete -c chat -n "__fish_chat_using_subcommand users" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand users" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand users" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand send" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand send" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand send" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand send" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand history" -s n -l limit -d 'At most this many messages (0 shows none) [default: 50, at most 500]' -r
complete -c chat -n "__fish_chat_using_subcommand history" -l before -d 'Only messages older than this: Unix milliseconds, a date or date and time (2026-11-20, 2026-11-20T14:30 local, or RFC 3339 with Z or an offset), or a duration ago (90s, 15m, 2h, 3d, 1w, 1d12h)' -r
complete -c chat -n "__fish_chat_using_subcommand history" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand history" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand history" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand history" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand message" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand message" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand message" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand message" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand conversations" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand conversations" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand conversations" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand conversations" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand read" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand read" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand read" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand read" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand search" -l peer -d 'Only in the conversation with this user' -r
complete -c chat -n "__fish_chat_using_subcommand search" -s n -l limit -d 'At most this many messages (0 shows none) [default: 50, at most 500]' -r
complete -c chat -n "__fish_chat_using_subcommand search" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand search" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand search" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand search" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand fingerprint" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand fingerprint" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand fingerprint" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand fingerprint" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand verify" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand verify" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand verify" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand verify" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand trust" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand trust" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand trust" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand trust" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand watch" -l since -d 'First replay every stored event after this seq, so nothing is missed' -r
complete -c chat -n "__fish_chat_using_subcommand watch" -l events -d 'Only these kinds: message, receipt, presence, connection, key_changed, security [default: those six]; the extensions trust and settings only when named' -r
complete -c chat -n "__fish_chat_using_subcommand watch" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand watch" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand watch" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand watch" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts help" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts help" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts help" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts help" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts help" -f -a "read-receipts" -d 'Tell people when you read their messages (on, the default), or never (off: they see "delivered" only)'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "read-receipts" -d 'Tell people when you read their messages (on, the default), or never (off: they see "delivered" only)'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand demo" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand demo" -l keep -d 'Keep the temp dir (data, logs, sockets) and print where it is'
complete -c chat -n "__fish_chat_using_subcommand demo" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand demo" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand demo" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "status" -d 'Show chatd\'s link to the server, the account and the version'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "signup" -d 'Create an account on the server and log in'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "login" -d 'Log in to an existing account'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "logout" -d 'Log out (chatd keeps the history)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "passwd" -d 'Change the account\'s password'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "users" -d 'List users on the server'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "send" -d 'Send a message (the text is read from stdin when not given)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "history" -d 'Show the conversation with a user, oldest first'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "message" -d 'Show one message by id (as `watch` and `send` name them)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "conversations" -d 'List conversations, most recent first'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "read" -d 'Mark the conversation with a user read (sends read receipts)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "search" -d 'Search the local history'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "fingerprint" -d 'Show a fingerprint (yours when no user is given) to compare in person'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "verify" -d 'Record that you compared a user\'s fingerprint and it matched'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "trust" -d 'Accept a user\'s changed key (it becomes unverified)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "watch" -d 'Print events as they happen until interrupted, waiting out chatd restarts'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "settings" -d 'Show chatd\'s settings, or change one (they apply to every frontend)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "demo" -d 'Run a server and two daemons in a temp dir and show them chatting'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send history message conversations read search fingerprint verify trust watch settings demo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "read-receipts" -d 'Tell people when you read their messages (on, the default), or never (off: they see "delivered" only)'
