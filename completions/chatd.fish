complete -c chatd -l server -d 'Server address, HOST:PORT [default: from chatd.toml, else 127.0.0.1:9876]' -r
complete -c chatd -l server-fingerprint -d 'The server\'s key fingerprint to pin (64 hex characters; spaces and colons allowed). Without it the first server seen is trusted and remembered' -r
complete -c chatd -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/securechat/chatd.toml]' -r -F
complete -c chatd -l data-dir -d 'Data directory for the identity key and the database [default: $XDG_DATA_HOME/securechat]' -r -F
complete -c chatd -l socket -d 'Local API socket [default: $CHATD_SOCKET, else $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chatd -l downloads -d 'Where downloaded files go when a download names no path [default: from chatd.toml, else the XDG download directory, else ~/Downloads]' -r -F
complete -c chatd -l plaintext -d 'Talk to the server over bare TCP (only for a server on loopback)'
complete -c chatd -l no-dbus -d 'Do not offer the D-Bus interface (org.securechat.Chatd1 on the session bus); serve the local socket only'
complete -c chatd -s h -l help -d 'Print help'
complete -c chatd -s V -l version -d 'Print version'
