# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_chat_server_global_optspecs
    string join \n config= listen= data-dir= store= store-ca= bus= bus-poll-secs= node-timeout-secs= key= plaintext bcrypt-cost= max-frame= max-frame-pre-auth= max-connections= backlog= idle-timeout= login-timeout= write-timeout= mailbox-limit= mailbox-per-sender= max-watch= ephemeral-per-second= cpu-workers= cpu-queue= cpu-per-source= throttle-per-source= throttle-per-account-source= throttle-per-account= signups-per-source= message-ttl-days= max-blob= max-piece= blob-quota= max-uploads= upload-ttl-secs= blob-ttl-secs= blob-sweep-secs= h/help V/version
end

function __fish_chat_server_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_chat_server_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_chat_server_using_subcommand
    set -l cmd (__fish_chat_server_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c chat-server -n "__fish_chat_server_needs_command" -l config -d 'Read options from this TOML file: each key is a long option of the running server with `_` for `-` (e.g. `store = "postgres://..."`, `bus = "nats://..."`, `bus_poll_secs = 5`, `plaintext = false`). An option given on the command line or in its environment variable wins over the file; an unknown key is refused' -r -F
complete -c chat-server -n "__fish_chat_server_needs_command" -l listen -d 'Address and port to listen on' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l data-dir -d 'Where the database and the generated key live [default: $STATE_DIRECTORY, else the XDG data directory, e.g. ~/.local/share/chat-server]' -r -F
complete -c chat-server -n "__fish_chat_server_needs_command" -l store -d 'Where accounts, keys, tokens and mailboxes live: `sqlite` (a file in the data directory) or a PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (the server key and blobs stay in the data directory). Put a URL with a password in the environment, not on the command line' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l store-ca -d 'With a postgres:// --store: connect over TLS and verify PostgreSQL\'s certificate against the CA certificates in this PEM file (chain and host name, as libpq\'s sslmode=verify-full). Without it the connection is plain text (a unix socket or a network you trust), and a URL asking for sslmode=require is refused' -r -F
complete -c chat-server -n "__fish_chat_server_needs_command" -l bus -d 'Join a cluster of nodes through this NATS server, nats://HOST:PORT (needs a postgres:// --store shared by every node). NATS carries only wake-ups; the node keeps working, at --bus-poll-secs speed, while NATS is down' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l bus-poll-secs -d 'With --bus: seconds between polls of logged-in users\' mailboxes and of the cluster\'s sessions table, the most a lost wake-up delays a delivery or a presence change' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l node-timeout-secs -d 'With --bus: a node that has not heartbeaten for this many seconds is taken for dead; its sessions are removed and its users go offline' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l key -d 'Use this private key (PEM, PKCS#1 or PKCS#8) instead of <data-dir>/server_privkey.pem' -r -F
complete -c chat-server -n "__fish_chat_server_needs_command" -l bcrypt-cost -d 'bcrypt cost for new password hashes (4 to 31). Lower it only for tests' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-frame -d 'Largest frame after login, in bytes' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-frame-pre-auth -d 'Largest frame before login, in bytes' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-connections -d 'Connections served at once; more are answered `server_busy`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l backlog -d 'TCP listen backlog' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l idle-timeout -d 'Close connections silent for this many seconds' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l login-timeout -d 'Close connections not logged in this many seconds after accept (the TLS handshake included)' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l write-timeout -d 'Close connections whose client takes no data for this many seconds (it is not reading what the server sends)' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l mailbox-limit -d 'Messages stored for one recipient before `send` answers `mailbox_full`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l mailbox-per-sender -d 'Messages stored from one sender for one recipient before `send` answers `mailbox_full`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-watch -d 'Users one connection may watch' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l ephemeral-per-second -d 'Ephemeral sends (never stored) one connection may make in any second; beyond, `rate_limited`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l cpu-workers -d 'bcrypt/RSA jobs running at once [default: the number of CPUs]' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l cpu-queue -d 'bcrypt/RSA jobs allowed to wait; beyond, `server_busy`, naming the client\'s turn in a line that starts once the queue has drained' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l cpu-per-source -d 'bcrypt/RSA jobs one source (IPv4 address or IPv6 /64) may have admitted at once; beyond, `rate_limited`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l throttle-per-source -d 'Failed logins from one source (all accounts) within 15 minutes before it must wait; credentials that do not open count too' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l throttle-per-account-source -d 'Failed logins from one source against one account within 15 minutes before it must wait' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l throttle-per-account -d 'Failed logins against one account (all sources) within 15 minutes before every source that failed against it must wait' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l signups-per-source -d 'Signups one source may attempt per hour' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l message-ttl-days -d 'Days an unacknowledged message is kept' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-blob -d 'Largest blob (an encrypted file) in bytes; the default holds a 100 MiB file once sealed' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-piece -d 'Largest piece of a blob in one `blob_put` or `blob_data`, in bytes; its base64 frame must fit --max-frame' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l blob-quota -d 'Bytes one user\'s blobs (unfinished reservations and finished blobs) may take together' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l max-uploads -d 'Unfinished uploads one user may have at once' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l upload-ttl-secs -d 'Seconds an unfinished upload is kept after `blob_create`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l blob-ttl-secs -d 'Seconds a finished blob is kept after `blob_finish`' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l blob-sweep-secs -d 'Seconds between sweeps that delete expired blobs' -r
complete -c chat-server -n "__fish_chat_server_needs_command" -l plaintext -d 'Speak the protocol over bare TCP instead of TLS 1.3. Only allowed on a loopback address (for tests and local development)'
complete -c chat-server -n "__fish_chat_server_needs_command" -s h -l help -d 'Print help'
complete -c chat-server -n "__fish_chat_server_needs_command" -s V -l version -d 'Print version'
complete -c chat-server -n "__fish_chat_server_needs_command" -f -a "fingerprint" -d 'Print the server key\'s fingerprint (lowercase hex SHA-256 of its SubjectPublicKeyInfo), the value clients pin'
complete -c chat-server -n "__fish_chat_server_needs_command" -f -a "migrate" -d 'Copy a single-node installation from its SQLite file into an empty PostgreSQL database: accounts, identity keys, session tokens, queued messages, groups and blob metadata, in one transaction (all or nothing). Stop the server first. Blob bytes and the server key stay in the data directory: start the server on PostgreSQL with the same --data-dir'
complete -c chat-server -n "__fish_chat_server_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chat-server -n "__fish_chat_server_using_subcommand fingerprint" -l data-dir -d 'Data directory holding server_privkey.pem' -r -F
complete -c chat-server -n "__fish_chat_server_using_subcommand fingerprint" -l key -d 'The private key file (PEM, PKCS#1 or PKCS#8)' -r -F
complete -c chat-server -n "__fish_chat_server_using_subcommand fingerprint" -s h -l help -d 'Print help'
complete -c chat-server -n "__fish_chat_server_using_subcommand migrate" -l from -d 'The stopped server\'s database, sqlite:PATH (e.g. sqlite:/var/lib/chat-server/chat-server.db). Read only; refused while any process has it open' -r -F
complete -c chat-server -n "__fish_chat_server_using_subcommand migrate" -l to -d 'The PostgreSQL database to fill, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; its schema is created if missing. Put a URL with a password in the environment' -r
complete -c chat-server -n "__fish_chat_server_using_subcommand migrate" -l store-ca -d 'Reach the target over TLS, verified against the CA certificates in this PEM file (as --store-ca does)' -r -F
complete -c chat-server -n "__fish_chat_server_using_subcommand migrate" -l overwrite -d 'Empty the target first (in the same transaction) instead of refusing a target that already holds data'
complete -c chat-server -n "__fish_chat_server_using_subcommand migrate" -s h -l help -d 'Print help'
complete -c chat-server -n "__fish_chat_server_using_subcommand help; and not __fish_seen_subcommand_from fingerprint migrate help" -f -a "fingerprint" -d 'Print the server key\'s fingerprint (lowercase hex SHA-256 of its SubjectPublicKeyInfo), the value clients pin'
complete -c chat-server -n "__fish_chat_server_using_subcommand help; and not __fish_seen_subcommand_from fingerprint migrate help" -f -a "migrate" -d 'Copy a single-node installation from its SQLite file into an empty PostgreSQL database: accounts, identity keys, session tokens, queued messages, groups and blob metadata, in one transaction (all or nothing). Stop the server first. Blob bytes and the server key stay in the data directory: start the server on PostgreSQL with the same --data-dir'
complete -c chat-server -n "__fish_chat_server_using_subcommand help; and not __fish_seen_subcommand_from fingerprint migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
