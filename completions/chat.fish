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
complete -c chat -n "__fish_chat_needs_command" -f -a "send" -d 'Send a message to a user or a group (the text is read from stdin when not given)'
complete -c chat -n "__fish_chat_needs_command" -f -a "send-file" -d 'Send a file to a user or a group, waiting until it is uploaded'
complete -c chat -n "__fish_chat_needs_command" -f -a "download" -d 'Save a received file (by its message\'s id), waiting until it is checked'
complete -c chat -n "__fish_chat_needs_command" -f -a "transfers" -d 'List file transfers, newest first, or show one'
complete -c chat -n "__fish_chat_needs_command" -f -a "cancel-transfer" -d 'Stop a transfer: an upload not yet sent, or a download'
complete -c chat -n "__fish_chat_needs_command" -f -a "history" -d 'Show the conversation with a user or a group, oldest first'
complete -c chat -n "__fish_chat_needs_command" -f -a "message" -d 'Show one message by id (as `watch` and `send` name them)'
complete -c chat -n "__fish_chat_needs_command" -f -a "conversations" -d 'List conversations with users, most recent first (groups: `chat groups`)'
complete -c chat -n "__fish_chat_needs_command" -f -a "read" -d 'Mark the conversation with a user or a group read (sends read receipts)'
complete -c chat -n "__fish_chat_needs_command" -f -a "group" -d 'Create, change, leave and show groups'
complete -c chat -n "__fish_chat_needs_command" -f -a "groups" -d 'List your groups, most recent first (the same as `chat group list`)'
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
complete -c chat -n "__fish_chat_using_subcommand send" -s g -l group -d 'Send to this group instead: its id, or its name when only one of your groups has that name' -r
complete -c chat -n "__fish_chat_using_subcommand send" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand send" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand send" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand send" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand send-file" -s g -l group -d 'Send to this group instead: its id, or its name when only one of your groups has that name' -r
complete -c chat -n "__fish_chat_using_subcommand send-file" -s c -l caption -d 'Text sent with the file' -r
complete -c chat -n "__fish_chat_using_subcommand send-file" -l name -d 'The name the recipients see [default: the file\'s own name]' -r
complete -c chat -n "__fish_chat_using_subcommand send-file" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand send-file" -l no-wait -d 'Return at once with the ids instead of waiting for the transfer to end (`chat transfers` follows it)'
complete -c chat -n "__fish_chat_using_subcommand send-file" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand send-file" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand send-file" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand download" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand download" -l no-wait -d 'Return at once with the ids instead of waiting for the transfer to end (`chat transfers` follows it)'
complete -c chat -n "__fish_chat_using_subcommand download" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand download" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand download" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand transfers" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand transfers" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand transfers" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand transfers" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand cancel-transfer" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand cancel-transfer" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand cancel-transfer" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand cancel-transfer" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand history" -s g -l group -d 'A group\'s conversation instead: its id, or its name when only one of your groups has that name' -r
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
complete -c chat -n "__fish_chat_using_subcommand read" -s g -l group -d 'A group\'s conversation instead: its id, or its name when only one of your groups has that name' -r
complete -c chat -n "__fish_chat_using_subcommand read" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand read" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand read" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand read" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "create" -d 'Create a group with these users; you are its first admin'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "add" -d 'Add users to a group (admins only)'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "remove" -d 'Remove users from a group (admins only); they get nothing sent after'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "leave" -d 'Leave a group; its history stays, read-only'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "admin" -d 'Make a member an admin, or with --revoke no longer one (admins only)'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "info" -d 'Show a group: its members, who are admins and who is online'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "list" -d 'List your groups, also those you left, most recent first'
complete -c chat -n "__fish_chat_using_subcommand group; and not __fish_seen_subcommand_from create add remove leave admin info list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from create" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from create" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from add" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from add" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from remove" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from leave" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from leave" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from leave" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from leave" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from admin" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from admin" -l revoke -d 'Take the admin role away instead of giving it'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from admin" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from admin" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from admin" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from info" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from info" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from info" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from list" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a group with these users; you are its first admin'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add users to a group (admins only)'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove users from a group (admins only); they get nothing sent after'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "leave" -d 'Leave a group; its history stays, read-only'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "admin" -d 'Make a member an admin, or with --revoke no longer one (admins only)'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show a group: its members, who are admins and who is online'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "list" -d 'List your groups, also those you left, most recent first'
complete -c chat -n "__fish_chat_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand groups" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand groups" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand groups" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand groups" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand search" -l peer -d 'Only in the conversation with this user' -r
complete -c chat -n "__fish_chat_using_subcommand search" -s g -l group -d 'Only in this group\'s conversation (id or name)' -r
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
complete -c chat -n "__fish_chat_using_subcommand watch" -l events -d 'Only these kinds: message, receipt, presence, connection, key_changed, security, trust, settings, group, typing, transfer [default: all but typing]; message and receipt include those of group messages' -r
complete -c chat -n "__fish_chat_using_subcommand watch" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand watch" -l typing -d 'Also show who is typing (never stored, so --since does not replay it)'
complete -c chat -n "__fish_chat_using_subcommand watch" -l progress -d 'Also show how far transfers are, up to 4 lines a second each (never stored); without it a transfer shows when it starts, waits and ends'
complete -c chat -n "__fish_chat_using_subcommand watch" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand watch" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand watch" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -f -a "read-receipts" -d 'Tell people when you read their messages (on, the default), or never (off: they see "delivered" only)'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -f -a "typing-indicators" -d 'Tell people when you are typing a message to them (on, the default), and show when they are (chat-tui, chat-gui, `chat watch --typing`)'
complete -c chat -n "__fish_chat_using_subcommand settings; and not __fish_seen_subcommand_from read-receipts typing-indicators help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from read-receipts" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from typing-indicators" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from typing-indicators" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from typing-indicators" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from typing-indicators" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "read-receipts" -d 'Tell people when you read their messages (on, the default), or never (off: they see "delivered" only)'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "typing-indicators" -d 'Tell people when you are typing a message to them (on, the default), and show when they are (chat-tui, chat-gui, `chat watch --typing`)'
complete -c chat -n "__fish_chat_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand demo" -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat -n "__fish_chat_using_subcommand demo" -l keep -d 'Keep the temp dir (data, logs, sockets) and print where it is'
complete -c chat -n "__fish_chat_using_subcommand demo" -l json -d 'Machine-readable output: the result as one JSON object per line'
complete -c chat -n "__fish_chat_using_subcommand demo" -s h -l help -d 'Print help'
complete -c chat -n "__fish_chat_using_subcommand demo" -s V -l version -d 'Print version'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "status" -d 'Show chatd\'s link to the server, the account and the version'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "signup" -d 'Create an account on the server and log in'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "login" -d 'Log in to an existing account'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "logout" -d 'Log out (chatd keeps the history)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "passwd" -d 'Change the account\'s password'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "users" -d 'List users on the server'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "send" -d 'Send a message to a user or a group (the text is read from stdin when not given)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "send-file" -d 'Send a file to a user or a group, waiting until it is uploaded'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "download" -d 'Save a received file (by its message\'s id), waiting until it is checked'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "transfers" -d 'List file transfers, newest first, or show one'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "cancel-transfer" -d 'Stop a transfer: an upload not yet sent, or a download'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "history" -d 'Show the conversation with a user or a group, oldest first'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "message" -d 'Show one message by id (as `watch` and `send` name them)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "conversations" -d 'List conversations with users, most recent first (groups: `chat groups`)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "read" -d 'Mark the conversation with a user or a group read (sends read receipts)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "group" -d 'Create, change, leave and show groups'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "groups" -d 'List your groups, most recent first (the same as `chat group list`)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "search" -d 'Search the local history'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "fingerprint" -d 'Show a fingerprint (yours when no user is given) to compare in person'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "verify" -d 'Record that you compared a user\'s fingerprint and it matched'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "trust" -d 'Accept a user\'s changed key (it becomes unverified)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "watch" -d 'Print events as they happen until interrupted, waiting out chatd restarts'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "settings" -d 'Show chatd\'s settings, or change one (they apply to every frontend)'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "demo" -d 'Run a server and two daemons in a temp dir and show them chatting'
complete -c chat -n "__fish_chat_using_subcommand help; and not __fish_seen_subcommand_from status signup login logout passwd users send send-file download transfers cancel-transfer history message conversations read group groups search fingerprint verify trust watch settings demo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "create" -d 'Create a group with these users; you are its first admin'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "add" -d 'Add users to a group (admins only)'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "remove" -d 'Remove users from a group (admins only); they get nothing sent after'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "leave" -d 'Leave a group; its history stays, read-only'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "admin" -d 'Make a member an admin, or with --revoke no longer one (admins only)'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "info" -d 'Show a group: its members, who are admins and who is online'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "list" -d 'List your groups, also those you left, most recent first'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "read-receipts" -d 'Tell people when you read their messages (on, the default), or never (off: they see "delivered" only)'
complete -c chat -n "__fish_chat_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "typing-indicators" -d 'Tell people when you are typing a message to them (on, the default), and show when they are (chat-tui, chat-gui, `chat watch --typing`)'
