# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wnet_global_optspecs
    string join \n json v/verbose timeout= h/help V/version
end

function __fish_wnet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wnet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wnet_using_subcommand
    set -l cmd (__fish_wnet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wnet -n "__fish_wnet_needs_command" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_needs_command" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_needs_command" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_needs_command" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "use" -d 'Connect a share, list connections or cancel one (like net use)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "view" -d 'List the servers of a workgroup, the workgroups, or a server\'s shares (like net view)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "nbtstat" -d 'NetBIOS name tables, cache and sessions (like nbtstat)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "scan" -d 'Node status of every address in ranges and lists (like nbtscan)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "lookup" -d 'Resolve a NetBIOS name to addresses (like nmblookup)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "resolve" -d 'Resolve a server name as use and view do, and say which step answered'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "responder" -d 'Register NetBIOS names and answer for them until interrupted (like nmbd)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "user" -d 'The user name behind a connection (WNetGetUser)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "unc" -d 'The universal (UNC) name of a local path (WNetGetUniversalName)'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "agent" -d 'Start, stop or query the per-user agent'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "completions" -d 'Print the shell completion script for bash, zsh or fish'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "man" -d 'Write the manual pages (wnet.1 and one per verb) into a directory'
complete -c wnet -n "__fish_wnet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l user -l u -d 'Connect as this user: DOMAIN\\user or user@domain (net use /user:NAME). Without a password, asks for one. Without /user: WNET_USER and WNET_PASSWORD, then the credentials file, else an anonymous session' -r
complete -c wnet -n "__fish_wnet_using_subcommand use" -l persistent -l p -d 'Remember the connection and restore it with /restore (yes), or not (no, the default) (net use /persistent:yes|no). With /delete, no keeps the remembered entry' -r -f -a "yes\t'Remember the connection'
no\t'Do not remember it (with /delete: keep the remembered entry)'"
complete -c wnet -n "__fish_wnet_using_subcommand use" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand use" -l savecred -d 'Save the credentials given (or asked for) to the credentials file, for the next connection to this server (net use /savecred)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l integrity -l requireintegrity -d 'Refuse the connection unless every message is signed (net use /requireintegrity)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l privacy -l requireprivacy -d 'Refuse the connection unless every message is encrypted (net use /requireprivacy)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l writethrough -d 'Ask the server to write through its cache on every write (net use /writethrough)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l delete -l d -d 'Cancel the connection named by DEVICE (net use /delete)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l force -l y -d 'With /delete: cancel even when files are open on it, without asking (net use /y)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l restore -d 'Reconnect every remembered connection (what Windows does at logon)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand use" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand use" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand view" -l domain -d 'Without a name, list the workgroups; with one, list that workgroup\'s servers (net view /domain, net view /domain:NAME)' -r
complete -c wnet -n "__fish_wnet_using_subcommand view" -l user -l u -d 'List the shares as this user (DOMAIN\\user or user@domain), asking for the password (or reading WNET_PASSWORD). Without it: WNET_USER and WNET_PASSWORD, then the credentials file, else an anonymous session' -r
complete -c wnet -n "__fish_wnet_using_subcommand view" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand view" -l all -d 'Show hidden shares too, those whose name ends in $ (net view /all)'
complete -c wnet -n "__fish_wnet_using_subcommand view" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand view" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand view" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand view" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s A -d 'The name table and MAC address of the host at this address (nbtstat -A)' -r
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s a -d 'The name table and MAC address of the host with this name, resolved first (nbtstat -a)' -r
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s c -d 'The names in the resolver\'s cache (WNET_NAME_CACHE), with their addresses and lifetimes (nbtstat -c)'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s n -d 'Our registered names: the NetBIOS names of the LANAs\' nodes (nbtstat -n)'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s s -d 'Our NetBIOS sessions, as the NCB programs publish them (nbtstat -s)'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand nbtstat" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand scan" -l rate -d 'Probes per second (0: unpaced, which overflows receive queues beyond a few hundred hosts); nbtscan paces by bandwidth instead (-b)' -r
complete -c wnet -n "__fish_wnet_using_subcommand scan" -l retries -d 'Probes after the first for a silent host (nbtscan -m), spaced a quarter timeout apart within the wait. On a local subnet, a host that answered ARP but not NetBIOS gets 4 more (if N > 0); an address ARP has not resolved gets none unless ARP resolves within the timeout plus an eighth; one that refused the port or is unreachable, none' -r
complete -c wnet -n "__fish_wnet_using_subcommand scan" -s s -d 'Script-friendly output: no headers, fields separated by SEP (nbtscan -s SEP)' -r
complete -c wnet -n "__fish_wnet_using_subcommand scan" -l port -d 'The UDP port to probe (nbtscan always probes 137)' -r
complete -c wnet -n "__fish_wnet_using_subcommand scan" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand scan" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand scan" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand scan" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -l server -d 'Ask this name server (WINS) or host by unicast (nmblookup -U ADDR)' -r
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -l broadcast -d 'Broadcast the query to this address (nmblookup -B ADDR)' -r
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -l all -d 'Collect every responder until the timeout instead of stopping at the first answer (as nmblookup does)'
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand lookup" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand resolve" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand resolve" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand resolve" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l name -d 'A unique name to register and defend (nmbd\'s netbios name); repeat for more' -r
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l group -d 'A group name to register (nmbd\'s workgroup); repeat for more' -r
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l bind -d 'The address to answer on (nmbd\'s interfaces)' -r
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l port -d 'The UDP port to answer on' -r
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l release-on-demand -d 'Give a name up when another host sends a NAME CONFLICT DEMAND or NAME RELEASE for it (off by default, as Windows\' NoNameReleaseOnDemand: anyone on the LAN can send them)'
complete -c wnet -n "__fish_wnet_using_subcommand responder" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand responder" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand responder" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand responder" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand user" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand user" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand user" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand user" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand user" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand unc" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand unc" -l targets -d 'Show where the path lands in DFS namespaces: each referral on the way (its prefix, its targets in order with the active one marked, its TTL) and the physical \\\\server\\share\\path (Windows: dfsutil client property state, NetDfsGetClientInfo)'
complete -c wnet -n "__fish_wnet_using_subcommand unc" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand unc" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand unc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand unc" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand agent" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand agent" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand agent" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand agent" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand agent" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand completions" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand completions" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand completions" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand completions" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand man" -l timeout -d 'Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s` (a bare number is milliseconds). Each verb has its own default' -r
complete -c wnet -n "__fish_wnet_using_subcommand man" -l json -d 'Print machine-readable JSON instead of tables'
complete -c wnet -n "__fish_wnet_using_subcommand man" -s v -l verbose -d 'Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides)'
complete -c wnet -n "__fish_wnet_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wnet -n "__fish_wnet_using_subcommand man" -s V -l version -d 'Print version'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "use" -d 'Connect a share, list connections or cancel one (like net use)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "view" -d 'List the servers of a workgroup, the workgroups, or a server\'s shares (like net view)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "nbtstat" -d 'NetBIOS name tables, cache and sessions (like nbtstat)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "scan" -d 'Node status of every address in ranges and lists (like nbtscan)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "lookup" -d 'Resolve a NetBIOS name to addresses (like nmblookup)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "resolve" -d 'Resolve a server name as use and view do, and say which step answered'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "responder" -d 'Register NetBIOS names and answer for them until interrupted (like nmbd)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "user" -d 'The user name behind a connection (WNetGetUser)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "unc" -d 'The universal (UNC) name of a local path (WNetGetUniversalName)'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "agent" -d 'Start, stop or query the per-user agent'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "completions" -d 'Print the shell completion script for bash, zsh or fish'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "man" -d 'Write the manual pages (wnet.1 and one per verb) into a directory'
complete -c wnet -n "__fish_wnet_using_subcommand help; and not __fish_seen_subcommand_from use view nbtstat scan lookup resolve responder user unc agent completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
