//! The WNet verbs (`wnet use`, `view`, `user`, `agent`) and the per-user agent against the
//! Samba lab (`lab/samba`: LABSERVER at 198.51.100.2 in workgroup WNETLAB), as a user meets
//! them: exit codes, Windows' "System error N has occurred." texts and the `--json` fields.
//!
//! Every test runs in a sandbox of its own: a private runtime directory (so its own agent
//! socket and `agent.log`), its own configuration directory, no DNS (hosts, then NetBIOS via
//! the lab's WINS server), broadcasts only onto the lab's link, and none of the caller's WNET_*
//! variables. The sandbox stops its agent when it is dropped, so no agent outlives its test,
//! and it holds the lab (shared) for as long as the test runs.
//!
//! These tests need root (the lab is a network namespace with Samba in it).

mod common;

use common::{
    NOBODY, SERVER, SERVER_NAME, Sandbox, WORKGROUP, agent_sessions, assert_success,
    assert_system_error, is_mounted, json, system_error, text, unc, view_as,
};

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::Output;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A deviceless connection with /user and a password: listed (by this and by any other
/// `wnet` process, since the agent holds it), its user reported, deleted, and a second delete
/// is ERROR_NOT_CONNECTED.
#[test]
fn connect_list_user_and_delete_a_deviceless_connection() {
    let sandbox = Sandbox::new();
    let public = unc("public");
    let password = sandbox.password("wnetalice");

    let added = sandbox.wnet(&["use", &public, &password, "/user:wnetalice"]);
    assert_success(&added);
    assert_eq!(
        text(&added.stdout).trim(),
        "The command completed successfully."
    );

    // Another process, another time: the agent holds the connection for both.
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "one connection: {rows:?}");
    let row = &rows[0];
    assert_eq!(row["status"], "OK");
    assert_eq!(row["remote"], public.as_str());
    assert_eq!(row["local"], Value::Null);
    assert_eq!(row["user"], "wnetalice");
    assert_eq!(row["dialect"], "3.1.1");

    let user = sandbox.wnet(&["user", &public]);
    assert_success(&user);
    assert_eq!(text(&user.stdout).trim(), "wnetalice");

    // The text listing of yet another process shows it too, and one agent answers all.
    let pid = sandbox.agent_pid().expect("the agent runs");
    let listing = sandbox.wnet(&["use"]);
    assert_success(&listing);
    let listing = text(&listing.stdout);
    assert!(
        listing
            .lines()
            .any(|line| line.starts_with("OK") && line.contains(&public)),
        "not listed: {listing}"
    );
    let status = sandbox.agent_status().expect("the agent runs");
    assert_eq!(status["pid"].as_u64(), Some(pid), "the same agent");
    assert_eq!(status["connections"], 1);
    assert_eq!(status["sessions"], 1);

    let deleted = sandbox.wnet(&["use", &public, "/delete"]);
    assert_success(&deleted);
    assert_eq!(
        text(&deleted.stdout).trim(),
        format!("{public} was deleted successfully.")
    );
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    assert_eq!(
        sandbox.agent_status().expect("still running")["sessions"],
        0
    );

    let again = sandbox.wnet(&["use", &public, "/delete"]);
    let stderr = assert_system_error(&again, 2250);
    assert!(
        stderr.contains("This network connection does not exist."),
        "{stderr}"
    );
}

/// What the server refuses: a wrong password, a missing share, a user on a share that is
/// not for them — each with its Windows code and the NTSTATUS behind it.
#[test]
fn server_refusals_are_windows_errors_with_their_ntstatus() {
    let sandbox = Sandbox::new();
    let bob = sandbox.password("wnetbob");

    let wrong = sandbox.wnet(&["use", &unc("public"), "not-the-password", "/user:wnetalice"]);
    let stderr = assert_system_error(&wrong, 1326);
    assert!(
        stderr.contains("The user name or password is incorrect."),
        "{stderr}"
    );
    assert!(stderr.contains("NTSTATUS 0xc000006d"), "{stderr}");

    let missing = sandbox.wnet(&["use", &unc("no-such-share"), &bob, "/user:wnetbob"]);
    let stderr = assert_system_error(&missing, 67);
    assert!(
        stderr.contains("The network name cannot be found."),
        "{stderr}"
    );
    assert!(stderr.contains("NTSTATUS 0xc00000cc"), "{stderr}");

    let private = sandbox.wnet(&["use", &unc("alice"), &bob, "/user:wnetbob"]);
    let stderr = assert_system_error(&private, 5);
    assert!(stderr.contains("Access is denied."), "{stderr}");
    assert!(stderr.contains("NTSTATUS 0xc0000022"), "{stderr}");

    // Nothing failed half-way into the agent's tables.
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    assert_eq!(
        sandbox.agent_status().expect("the agent runs")["sessions"],
        0
    );
}

/// A host that does not answer is ERROR_BAD_NETPATH, within a bounded time.
#[test]
fn an_unreachable_host_is_a_bad_netpath_within_bounds() {
    let sandbox = Sandbox::new();
    let bob = sandbox.password("wnetbob");
    let started = Instant::now();
    let output = sandbox.wnet(&["use", &format!(r"\\{NOBODY}\public"), &bob, "/user:wnetbob"]);
    let took = started.elapsed();
    let stderr = assert_system_error(&output, 53);
    assert!(
        stderr.contains("The network path was not found."),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(30),
        "took {took:?} with WNET_SMB_TIMEOUT=5"
    );
}

/// One user per server: bob cannot connect to a server alice has a session with.
#[test]
fn a_second_user_for_the_same_server_is_a_credential_conflict() {
    let sandbox = Sandbox::new();
    sandbox.connect("public", "wnetalice");
    let bob = sandbox.password("wnetbob");
    let output = sandbox.wnet(&["use", &unc("readonly"), &bob, "/user:wnetbob"]);
    let stderr = assert_system_error(&output, 1219);
    assert!(
        stderr.contains("using more than one user name, are not allowed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("wnetalice"),
        "the cause names the holder: {stderr}"
    );
    // Alice's connection is untouched.
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["user"], "wnetalice");
}

/// Malformed local names and paths are refused before any connection is made.
#[test]
fn malformed_devices_and_names_are_refused() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");

    let bad_device = sandbox.wnet(&["use", "ZZ:", &public, &alice, "/user:wnetalice"]);
    let stderr = assert_system_error(&bad_device, 1200);
    assert!(
        stderr.contains("The specified device name is invalid."),
        "{stderr}"
    );
    let not_a_directory = sandbox.root.join("a-file");
    fs::write(&not_a_directory, b"").expect("a file");
    let file_device = sandbox.wnet(&[
        "use",
        &not_a_directory.display().to_string(),
        &public,
        &alice,
        "/user:wnetalice",
    ]);
    let stderr = assert_system_error(&file_device, 1200);
    assert!(stderr.contains("is not a directory"), "{stderr}");

    let malformed = sandbox.wnet(&["use", r"\\", &alice, "/user:wnetalice"]);
    let code = system_error(&malformed);
    assert!(
        matches!(code, Some(53 | 87)),
        "\\\\ must be ERROR_BAD_NETPATH or ERROR_INVALID_PARAMETER: {:?}",
        text(&malformed.stderr)
    );
    assert_eq!(malformed.status.code(), Some(1));

    assert_eq!(sandbox.connections(), Vec::<Value>::new());
}

/// `wnet use Z: \\server\share` mounts the share at the drive's directory: a file written
/// there is on the server's disk, `wnet unc` names it by drive and by path, the letter cannot
/// be taken twice, a cancel with a file open is ERROR_OPEN_FILES, and a forced cancel takes
/// the mount away (the open file fails, nothing hangs).
#[test]
fn a_drive_letter_mounts_the_share() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");
    let output = sandbox.wnet(&["use", "z:", &public, &alice, "/user:wnetalice"]);
    assert_success(&output);
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("Z");
    assert!(
        text(&output.stdout).contains(&format!("Z: is mounted at {}.", mount.display())),
        "{}",
        text(&output.stdout)
    );
    assert!(
        is_mounted(&mount),
        "{} is not a mount point",
        mount.display()
    );
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["local"], "Z:");
    assert_eq!(rows[0]["status"], "OK");
    assert_eq!(rows[0]["mount_point"], mount.display().to_string());

    let share_dir = sandbox.lab().share("public").expect("public").path.clone();
    let name = format!("drive-{}", std::process::id());
    fs::create_dir(mount.join(&name)).expect("mkdir through the drive");
    fs::write(mount.join(&name).join("f.txt"), b"through Z:\n").expect("write through the drive");
    assert_eq!(
        fs::read(share_dir.join(&name).join("f.txt")).expect("the file on the server"),
        b"through Z:\n"
    );
    let expected = format!(r"{public}\{name}\f.txt");
    for path in [
        format!(r"Z:\{name}\f.txt"),
        mount.join(&name).join("f.txt").display().to_string(),
    ] {
        let output = sandbox.wnet(&["unc", &path]);
        assert_success(&output);
        assert_eq!(text(&output.stdout).trim(), expected, "wnet unc {path}");
    }

    let again = sandbox.wnet(&["use", "Z:", &unc("readonly"), &alice, "/user:wnetalice"]);
    assert_system_error(&again, 85);

    let held = fs::File::open(mount.join(&name).join("f.txt")).expect("open through the drive");
    let refused = sandbox.wnet(&["use", "Z:", "/delete"]);
    let stderr = assert_system_error(&refused, 2401);
    assert!(stderr.contains("open"), "{stderr}");
    assert!(is_mounted(&mount), "a refused cancel leaves the drive");

    let forced = sandbox.wnet(&["use", "Z:", "/delete", "/y"]);
    assert_success(&forced);
    let started = Instant::now();
    let mut buffer = [0u8; 16];
    let read = std::io::Read::read(&mut &held, &mut buffer);
    assert!(
        read.is_err(),
        "a read after the forced cancel fails: {read:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "and fails at once"
    );
    drop(held);
    assert!(!is_mounted(&mount), "the drive is gone");
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    let _ = fs::remove_dir_all(share_dir.join(&name));
}

/// A drive connected with /persistent:yes and /savecred is remembered: it goes with the
/// agent (no mount left behind), is listed as Unavailable, comes back when the agent starts
/// again, and `wnet use /restore` reconnects it after a cancel that kept it remembered.
/// As the demo tour does it: the agent stopped, `wnet use` starts a new one (which restores
/// the remembered drive in the background), and `wnet use /restore` right after finds the
/// drive reserved by that restoration: it waits for it and succeeds, instead of failing with
/// ERROR_ALREADY_ASSIGNED (85).
#[test]
fn a_restore_racing_the_agents_own_restoration_succeeds() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");
    assert_success(&sandbox.wnet(&[
        "use",
        "X:",
        &public,
        &alice,
        "/user:wnetalice",
        "/persistent:yes",
        "/savecred",
    ]));
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("X");
    for _ in 0..3 {
        sandbox.stop_agent();
        assert!(!is_mounted(&mount));
        assert_success(&sandbox.wnet(&["use"]));
        let restored = sandbox.wnet(&["use", "/restore"]);
        assert_success(&restored);
        assert!(is_mounted(&mount), "{}", text(&restored.stdout));
    }
    assert_success(&sandbox.wnet(&["use", "X:", "/delete", "/persistent:no"]));
}

#[test]
fn remembered_drives_come_back_with_the_agent() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");
    let output = sandbox.wnet(&[
        "use",
        "Y:",
        &public,
        &alice,
        "/user:wnetalice",
        "/persistent:yes",
        "/savecred",
    ]);
    assert_success(&output);
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("Y");
    assert!(is_mounted(&mount));

    sandbox.stop_agent();
    assert!(!is_mounted(&mount), "the agent took its drive with it");
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "Unavailable");

    assert_success(&sandbox.wnet(&["agent", "start"]));
    // The agent restores in the background: the mount appears a moment before the
    // connection's row says OK.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut rows = sandbox.connections();
    while !(is_mounted(&mount) && rows[0]["status"] == "OK") && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
        rows = sandbox.connections();
    }
    assert!(
        is_mounted(&mount),
        "the agent restored the drive when it started"
    );
    assert_eq!(rows[0]["status"], "OK", "{rows:?}");
    assert_eq!(rows[0]["user"], "wnetalice");

    assert_success(&sandbox.wnet(&["use", "Y:", "/delete", "/persistent:no"]));
    assert!(!is_mounted(&mount));
    let restored = sandbox.wnet(&["--json", "use", "/restore"]);
    assert_success(&restored);
    let rows = json(&restored);
    assert_eq!(rows[0]["local"], "Y:", "{rows}");
    assert_eq!(rows[0]["restored"], true, "{rows}");
    assert!(is_mounted(&mount), "/restore mounted it again");

    assert_success(&sandbox.wnet(&["use", "Y:", "/delete"]));
    assert!(!is_mounted(&mount));
    assert_eq!(sandbox.connections(), Vec::<Value>::new(), "and forgot it");
}

/// A second share of a server already connected reuses the agent's session, and `-v`
/// says so.
#[test]
fn a_second_share_reuses_the_session() {
    let sandbox = Sandbox::new();
    sandbox.connect("public", "wnetalice");
    let output = sandbox.wnet(&["-v", "use", &unc("readonly")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("reused the agent's session with 198.51.100.2 as wnetalice"),
        "-v must say the session was reused: {stderr}"
    );
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|row| row["user"] == "wnetalice" && row["dialect"] == "3.1.1"),
        "{rows:?}"
    );
    assert!(
        rows[0]["session_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("0x")),
        "--json shows the session each connection rides: {rows:?}"
    );
    assert_eq!(rows[0]["session_id"], rows[1]["session_id"], "{rows:?}");
    let status = sandbox.agent_status().expect("the agent runs");
    assert_eq!(status["connections"], 2);
    assert_eq!(status["sessions"], 1, "one session for both: {status}");
}

/// `wnet use \\server` with credentials connects the server's IPC$, as `net use \\server`
/// does on Windows: later connections without credentials ride its session (`--json` shows
/// the same session id), and `/delete` by `\\server` ends only it.
#[test]
fn a_server_alone_authenticates_once_for_its_shares() {
    let sandbox = Sandbox::new();
    let server = format!(r"\\{SERVER}");
    let password = sandbox.password("wnetalice");
    assert_success(&sandbox.wnet(&["use", &server, &password, "/user:wnetalice"]));
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["remote"], unc("IPC$"), "{rows:?}");
    // alice's private share, with no credentials: only her session lets it in.
    assert_success(&sandbox.wnet(&["use", &unc("alice")]));
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1]["user"], "wnetalice", "{rows:?}");
    assert!(
        rows[0]["session_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("0x")),
        "{rows:?}"
    );
    assert_eq!(rows[0]["session_id"], rows[1]["session_id"], "{rows:?}");
    assert_success(&sandbox.wnet(&["use", &server, "/delete"]));
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["remote"], unc("alice"), "{rows:?}");
}

/// WNET_USER/WNET_PASSWORD are the default credentials, and `-v` names them.
#[test]
fn default_credentials_from_the_environment() {
    let mut sandbox = Sandbox::new();
    let password = sandbox.password("wnetalice");
    sandbox.set("WNET_USER", "wnetalice");
    sandbox.set("WNET_PASSWORD", &password);
    let output = sandbox.wnet(&["-v", "use", &unc("public")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("WNET_USER/WNET_PASSWORD from the environment"),
        "-v names the source: {stderr}"
    );
    assert!(
        !stderr.contains(&password),
        "-v shows no password: {stderr}"
    );
    assert_eq!(sandbox.connections()[0]["user"], "wnetalice");
}

fn write_credentials(sandbox: &Sandbox, mode: u32) -> PathBuf {
    let path = sandbox.config_dir().join("credentials");
    let body = format!(
        "# lab credentials\n[{SERVER}]\nusername = wnetbob\npassword = {}\n",
        sandbox.password("wnetbob")
    );
    fs::write(&path, body).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    fs::set_permissions(&path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|error| panic!("chmod {}: {error}", path.display()));
    path
}

/// A private credential file's section for the server is used, and `-v` names the file.
#[test]
fn default_credentials_from_the_credential_file() {
    let sandbox = Sandbox::new();
    let path = write_credentials(&sandbox, 0o600);
    let output = sandbox.wnet(&["-v", "use", &unc("public")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "saved credentials for {SERVER} in {}",
            path.display()
        )),
        "-v names the file: {stderr}"
    );
    assert!(!stderr.contains(&sandbox.password("wnetbob")), "{stderr}");
    let user = sandbox.wnet(&["user", &unc("public")]);
    assert_success(&user);
    assert_eq!(text(&user.stdout).trim(), "wnetbob");
}

/// A credential file other users can read is refused, with the fix in the message.
#[test]
fn a_credential_file_readable_by_others_is_refused() {
    let sandbox = Sandbox::new();
    let path = write_credentials(&sandbox, 0o644);
    let output = sandbox.wnet(&["use", &unc("public")]);
    let stderr = assert_system_error(&output, 1205);
    assert!(
        stderr.contains(&format!("chmod 600 {}", path.display())),
        "the message says how to fix it: {stderr}"
    );
    assert!(!stderr.contains(&sandbox.password("wnetbob")), "{stderr}");
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
}

/// With no credentials anywhere the session is anonymous, and the lab refuses it: Samba
/// accepts the null session but no share admits it, so the tree connect is
/// STATUS_ACCESS_DENIED, which Windows reports as error 5. (ERROR_LOGON_FAILURE, 1326, would
/// be the other Windows answer, from a server that refuses null sessions outright.)
#[test]
fn without_credentials_the_anonymous_session_is_refused() {
    let sandbox = Sandbox::new();
    let output = sandbox.wnet(&["-v", "use", &unc("public")]);
    let stderr = assert_system_error(&output, 5);
    assert!(stderr.contains("NTSTATUS 0xc0000022"), "{stderr}");
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
}

/// The shares of the server: listed ones by default, IPC$ with /all, and the JSON shape.
#[test]
fn view_lists_the_shares_of_the_server() {
    let sandbox = Sandbox::new();
    // Shares are listed over the agent's session (the lab refuses anonymous listings).
    sandbox.connect("public", "wnetalice");
    let server = format!(r"\\{SERVER}");

    let share_names = |output: &Output| -> Vec<String> {
        let listing = text(&output.stdout);
        let table = listing
            .split_once(&"-".repeat(79))
            .unwrap_or_else(|| panic!("no table: {listing}"))
            .1;
        table
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with("The command"))
            .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
            .collect()
    };

    let view = sandbox.wnet(&["view", &server]);
    assert_success(&view);
    assert!(
        text(&view.stdout).starts_with(&format!("Shared resources at {server}")),
        "{}",
        text(&view.stdout)
    );
    let names = share_names(&view);
    for share in ["public", "readonly", "alice"] {
        assert!(
            names.iter().any(|name| name == share),
            "{share} missing: {names:?}"
        );
    }
    assert!(!names.iter().any(|name| name.ends_with('$')), "{names:?}");

    let all = sandbox.wnet(&["view", &server, "/all"]);
    assert_success(&all);
    let all_names = share_names(&all);
    assert!(all_names.iter().any(|name| name == "IPC$"), "{all_names:?}");
    // hidden$ is not browseable at all: even /all does not see it.
    assert!(
        !all_names.iter().any(|name| name == "hidden$"),
        "{all_names:?}"
    );

    let listed = sandbox.wnet(&["--json", "view", &server]);
    assert_success(&listed);
    let listed = json(&listed);
    assert_eq!(listed["server"], SERVER);
    let shares = listed["shares"].as_array().expect("a shares array");
    let public = shares
        .iter()
        .find(|share| share["name"] == "public")
        .unwrap_or_else(|| panic!("public missing: {listed}"));
    assert_eq!(public["type"], "Disk");
    assert_eq!(public["share_type"], 0);
    assert_eq!(
        public["comment"].as_str(),
        Some(
            sandbox
                .lab()
                .share("public")
                .expect("public")
                .comment
                .as_str()
        )
    );
    assert!(
        shares
            .iter()
            .all(|share| !share["name"].as_str().unwrap_or_default().ends_with('$')),
        "{listed}"
    );
}

/// A listing's session is kept for the next listing with the same credentials — user *and*
/// password: a wrong password is refused as before instead of riding on the kept session, and
/// another user gets a session of their own (a kept session claims no server for its user).
#[test]
fn listings_keep_a_session_for_the_same_credentials_only() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let bob = sandbox.password("wnetbob");

    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    let status = sandbox.agent_status().expect("the agent runs");
    assert_eq!(status["connections"], 0, "{status}");
    assert_eq!(
        status["sessions"], 1,
        "the listing's session is kept: {status}"
    );

    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    assert_eq!(agent_sessions(&sandbox), 1, "the kept session was reused");

    let wrong = view_as(&sandbox, "wnetalice", "not-the-password");
    let stderr = assert_system_error(&wrong, 1326);
    assert!(stderr.contains("NTSTATUS 0xc000006d"), "{stderr}");
    assert_eq!(agent_sessions(&sandbox), 1);

    assert_success(&view_as(&sandbox, "wnetbob", &bob));
    assert_eq!(agent_sessions(&sandbox), 2, "bob's own session, kept too");

    // A connection as bob now: no conflict with alice's kept session.
    sandbox.connect("public", "wnetbob");
    assert_eq!(sandbox.connections().len(), 1);
}

/// Kept sessions are logged off when their time is up (WNET_IDLE_SESSION_TIMEOUT), and with
/// 0 none is kept.
#[test]
fn kept_sessions_end_after_the_idle_session_timeout() {
    let mut sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    sandbox.set("WNET_IDLE_SESSION_TIMEOUT", "1");
    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    let deadline = Instant::now() + Duration::from_secs(20);
    while agent_sessions(&sandbox) != 0 {
        assert!(
            Instant::now() < deadline,
            "the kept session outlived its timeout by 19 s"
        );
        thread::sleep(Duration::from_millis(200));
    }
    sandbox.stop_agent();

    sandbox.set("WNET_IDLE_SESSION_TIMEOUT", "0");
    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    assert_eq!(agent_sessions(&sandbox), 0, "nothing kept with 0");

    sandbox.set("WNET_IDLE_SESSION_TIMEOUT", "soon");
    sandbox.stop_agent();
    let refused = view_as(&sandbox, "wnetalice", &alice);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("WNET_IDLE_SESSION_TIMEOUT=soon"),
        "{}",
        text(&refused.stderr)
    );
}

/// Runs `wnet ARGS` until `found` holds for its output (about 20 s at most), for answers that
/// depend on nmbd having registered its names (just after the lab came up).
fn retry_until(
    sandbox: &Sandbox,
    args: &[&str],
    vars: &[(&str, &str)],
    found: impl Fn(&Output) -> bool,
) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let output = sandbox.wnet_with(args, vars);
        if found(&output) || Instant::now() >= deadline {
            return output;
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// Browsing: the servers of WNETLAB include LABSERVER, found through the lab's WINS
/// server; the workgroups include WNETLAB even when this machine is in another one.
#[test]
fn view_browses_servers_and_workgroups() {
    let sandbox = Sandbox::new();
    let has_labserver = |output: &Output| {
        output.status.success()
            && json(output)["servers"].as_array().is_some_and(|servers| {
                servers
                    .iter()
                    .any(|server| server["name"] == SERVER_NAME && server["address"] == SERVER)
            })
    };
    let servers = retry_until(&sandbox, &["--json", "view"], &[], has_labserver);
    assert!(
        has_labserver(&servers),
        "LABSERVER not found: {} {}",
        text(&servers.stdout),
        text(&servers.stderr)
    );
    assert_eq!(json(&servers)["workgroup"], WORKGROUP);

    let table = sandbox.wnet(&["view"]);
    assert_success(&table);
    assert!(
        text(&table.stdout).contains(&format!(r"\\{SERVER_NAME}")),
        "{}",
        text(&table.stdout)
    );

    // In another workgroup, WNETLAB can only come from the network.
    let elsewhere = [("WNET_WORKGROUP", "WNETTESTWG")];
    let has_wnetlab = |output: &Output| {
        output.status.success()
            && json(output)["workgroups"]
                .as_array()
                .is_some_and(|names| names.iter().any(|name| name == WORKGROUP))
    };
    let domains = retry_until(
        &sandbox,
        &["--json", "view", "/domain"],
        &elsewhere,
        has_wnetlab,
    );
    assert!(
        has_wnetlab(&domains),
        "WNETLAB not found: {} {}",
        text(&domains.stdout),
        text(&domains.stderr)
    );
    let names = json(&domains)["workgroups"].clone();
    assert!(
        names
            .as_array()
            .is_some_and(|names| names.iter().any(|name| name == "WNETTESTWG")),
        "the local workgroup is listed too: {names}"
    );

    let table = sandbox.wnet(&["view", "/domain"]);
    assert_success(&table);
    assert!(
        text(&table.stdout)
            .lines()
            .any(|line| line.trim() == WORKGROUP),
        "{}",
        text(&table.stdout)
    );
}
