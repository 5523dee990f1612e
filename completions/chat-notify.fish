complete -c chat-notify -l socket -d 'chatd\'s socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]' -r -F
complete -c chat-notify -l config -d 'chatd\'s configuration file, read for its [notifications] table [default: $XDG_CONFIG_HOME/securechat/chatd.toml]' -r -F
complete -c chat-notify -l group-window -d 'Messages from one sender less than this many seconds apart share one notification' -r
complete -c chat-notify -l state-file -d 'Where the number of the last event handled is kept [default: $STATE_DIRECTORY/notify.seq under systemd, else $XDG_STATE_HOME/securechat/notify.seq]' -r -F
complete -c chat-notify -l no-preview -d 'Never show message text or file names, only who wrote (the same as `preview = false` in the [notifications] table of chatd.toml)'
complete -c chat-notify -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chat-notify -s V -l version -d 'Print version'
