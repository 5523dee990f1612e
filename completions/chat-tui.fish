complete -c chat-tui -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat-tui -l utc -d 'Show times in UTC instead of the local time zone'
complete -c chat-tui -l no-bell -d 'Never ring the terminal bell (by default it rings when a message comes that is not on screen)'
complete -c chat-tui -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat-tui -s V -l version -d 'Print version'
