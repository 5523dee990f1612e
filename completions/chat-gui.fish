complete -c chat-gui -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat-gui -l theme -d 'Colour theme to start with (switch any time from the window)' -r -f -a "dark\t'Light text on a dark background (the default)'
light\t'Dark text on a light background'"
complete -c chat-gui -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat-gui -s V -l version -d 'Print version'
