//! The broadcast-domain lab works as the broadcast tests expect: every host hears the others'
//! broadcasts, and the lab's nmbd answers broadcast name queries.

use std::process::Command;
use std::time::Duration;

use wnet_testlab::{NetnsLab, command_in, run_bounded};

#[test]
fn every_host_resolves_the_nmbd_host_by_broadcast() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let expected = format!("{} {}<00>", lab.nmbd.address, lab.nmbd.name);
    let broadcast = lab.broadcast.to_string();
    let mut queries: Vec<(String, Command)> = lab
        .free_hosts()
        .map(|host| (host.netns.clone(), command_in(&host.netns, "nmblookup")))
        .collect();
    queries.push(("root namespace".into(), Command::new("nmblookup")));
    assert!(
        queries.len() >= 3,
        "the lab has fewer hosts than it promises"
    );
    for (from, mut command) in queries {
        command.args(["-B", &broadcast]).arg(&lab.nmbd.name);
        let output = run_bounded(&mut command, Duration::from_secs(30)).expect("nmblookup ran");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.lines().any(|line| line == expected),
            "from {from}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
