//! Runs a WS-Discovery discovery (or, with `listen`, listens) on the interfaces
//! `WNET_DISCOVERY_INTERFACES` names, printing each computer as it is found with the time it
//! took: `wsd_discover [SECONDS]` or `wsd_discover listen SECONDS`.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wnet::wsd::client::WsdClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    if std::env::var_os("WNET_DISCOVERY_INTERFACES").is_none() {
        return Err("set WNET_DISCOVERY_INTERFACES to the interfaces to use".into());
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = args.first().is_some_and(|arg| arg == "listen");
    let seconds: u64 = args
        .get(usize::from(listen))
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(3);
    let client = WsdClient::from_env()?;
    for interface in client.interfaces() {
        eprintln!("interface {interface:?}");
    }
    let started = Instant::now();
    if listen {
        let (events, mut heard) = mpsc::channel(16);
        let printer = async {
            while let Some(event) = heard.recv().await {
                println!("{:>8.3}s {event:?}", started.elapsed().as_secs_f64());
            }
        };
        let listener = tokio::time::timeout(Duration::from_secs(seconds), client.listen(events));
        let (ended, ()) = tokio::join!(listener, printer);
        if let Ok(result) = ended {
            result?;
        }
        return Ok(());
    }
    let (found, mut computers) = mpsc::channel(16);
    let printer = async {
        while let Some(computer) = computers.recv().await {
            println!("{:>8.3}s {computer:?}", started.elapsed().as_secs_f64());
        }
    };
    tokio::join!(
        client.discover(Duration::from_secs(seconds), found),
        printer
    );
    println!("{:>8.3}s done", started.elapsed().as_secs_f64());
    Ok(())
}
