//! A model checker for the drive: seeded random file operations — open (plain, O_APPEND,
//! O_CREAT, O_TRUNC, read-only), writes at random offsets (past the end too), appends,
//! reads, ftruncate and truncate up and down, rename over other files, unlink while open,
//! fsync, fstat and stat — through several descriptors at once, made on the mount and on a
//! local directory alike, and compared after every step: every operation's outcome, every
//! name's content, the listing, and every open descriptor's size.
//!
//! `WNET_MODEL_SEEDS` (comma-separated) and `WNET_MODEL_STEPS` (per seed) make it run longer
//! by hand; the defaults keep it well under a minute. A failure names its seed and step and
//! shows the operations that led to it.

mod common;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use wnet_drive::DriveOptions;

use common::{Mounted, Scratch, sorted_names};

/// The names the operations pick from.
const NAMES: [&str; 4] = ["a", "b", "c", "d"];
/// At most this many descriptors are open at once.
const MAX_OPEN: usize = 6;
/// Writes stay below this offset, so that comparing every file after every step stays cheap.
const MAX_SIZE: u64 = 192 << 10;
/// How many operations the log shows when a step fails.
const LOG_SHOWN: usize = 30;

/// splitmix64: a small, seedable generator (the test needs reproducible choices, nothing
/// more).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// How a descriptor was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    ReadOnly,
    ReadWrite,
    Append,
    Create,
    CreateTruncate,
}

impl Mode {
    fn options(self) -> OpenOptions {
        let mut options = OpenOptions::new();
        options.read(true);
        match self {
            Mode::ReadOnly => {}
            Mode::ReadWrite => {
                options.write(true);
            }
            Mode::Append => {
                options.append(true);
            }
            Mode::Create => {
                options.write(true).create(true);
            }
            Mode::CreateTruncate => {
                options.write(true).create(true).truncate(true);
            }
        }
        options
    }

    fn writable(self) -> bool {
        self != Mode::ReadOnly
    }
}

/// One descriptor, open on the mount and on the local directory alike.
struct Pair {
    mounted: File,
    local: File,
    mode: Mode,
    name: String,
}

/// The two trees and the descriptors open on them.
struct Model {
    mounted: PathBuf,
    local: PathBuf,
    open: Vec<Pair>,
    random: Random,
    log: Vec<String>,
    seed: u64,
    step: usize,
}

/// An outcome as compared: the value, or the error's kind and OS code.
fn outcome<T>(result: io::Result<T>) -> Result<T, (io::ErrorKind, Option<i32>)> {
    result.map_err(|error| (error.kind(), error.raw_os_error()))
}

fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    sorted_names(dir)
        .into_iter()
        .map(|name| {
            let data = fs::read(dir.join(&name))
                .unwrap_or_else(|error| panic!("read {name} in {}: {error}", dir.display()));
            (name, data)
        })
        .collect()
}

fn truncate(path: &Path, size: u64) -> io::Result<()> {
    let size = i64::try_from(size).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    nix::unistd::truncate(path, size).map_err(io::Error::from)
}

impl Model {
    fn fail(&self, what: &str) -> ! {
        let shown = self.log.len().saturating_sub(LOG_SHOWN);
        panic!(
            "seed {}, step {}: {what}\nthe last operations:\n  {}",
            self.seed,
            self.step,
            self.log[shown..].join("\n  ")
        );
    }

    fn check<T: PartialEq + std::fmt::Debug>(&self, what: &str, mounted: &T, local: &T) {
        if mounted != local {
            self.fail(&format!(
                "{what}: the mount gave {mounted:?}, a local directory {local:?}"
            ));
        }
    }

    fn name(&mut self) -> &'static str {
        NAMES[self.random.below(NAMES.len() as u64) as usize]
    }

    /// Does one random operation on both trees and compares the outcomes.
    fn step(&mut self) {
        let writable: Vec<usize> = (0..self.open.len())
            .filter(|&index| self.open[index].mode.writable())
            .collect();
        let any =
            (!self.open.is_empty()).then(|| self.random.below(self.open.len() as u64) as usize);
        let writer = (!writable.is_empty()).then(|| *self.random.pick(&writable));
        match (self.random.below(100), any, writer) {
            (0..=14, _, _) if self.open.len() < MAX_OPEN => self.open_one(),
            (15..=24, Some(index), _) => {
                let pair = self.open.remove(index);
                self.log.push(format!("close #{index} ({})", pair.name));
            }
            (25..=49, _, Some(index)) => self.write(index),
            (50..=59, Some(index), _) => self.pread(index),
            (60..=66, _, Some(index)) => {
                let size = self.random.below(MAX_SIZE);
                let pair = &self.open[index];
                self.log
                    .push(format!("ftruncate #{index} ({}) to {size}", pair.name));
                let mounted = outcome(pair.mounted.set_len(size));
                let local = outcome(pair.local.set_len(size));
                self.check("ftruncate", &mounted, &local);
            }
            (67..=71, _, _) => {
                let name = self.name();
                let size = self.random.below(MAX_SIZE);
                self.log.push(format!("truncate {name} to {size}"));
                let mounted = outcome(truncate(&self.mounted.join(name), size));
                let local = outcome(truncate(&self.local.join(name), size));
                self.check("truncate", &mounted, &local);
            }
            (72..=77, _, _) => {
                let (from, to) = (self.name(), self.name());
                self.log.push(format!("rename {from} {to}"));
                let mounted = outcome(fs::rename(self.mounted.join(from), self.mounted.join(to)));
                let local = outcome(fs::rename(self.local.join(from), self.local.join(to)));
                self.check("rename", &mounted, &local);
            }
            (78..=83, _, _) => {
                let name = self.name();
                self.log.push(format!("unlink {name}"));
                let mounted = outcome(fs::remove_file(self.mounted.join(name)));
                let local = outcome(fs::remove_file(self.local.join(name)));
                self.check("unlink", &mounted, &local);
            }
            (84..=87, _, Some(index)) => {
                let pair = &self.open[index];
                self.log.push(format!("fsync #{index} ({})", pair.name));
                let mounted = outcome(pair.mounted.sync_all());
                let local = outcome(pair.local.sync_all());
                self.check("fsync", &mounted, &local);
            }
            (88..=93, Some(index), _) => self.read(index),
            _ => {
                let name = self.name();
                self.log.push(format!("stat {name}"));
                let mounted = outcome(fs::metadata(self.mounted.join(name)).map(|m| m.len()));
                let local = outcome(fs::metadata(self.local.join(name)).map(|m| m.len()));
                self.check("stat", &mounted, &local);
            }
        }
    }

    /// Opens a name in a random mode on both trees.
    fn open_one(&mut self) {
        let name = self.name().to_owned();
        let mode = *self.random.pick(&[
            Mode::ReadOnly,
            Mode::ReadWrite,
            Mode::Append,
            Mode::Create,
            Mode::Create,
            Mode::CreateTruncate,
        ]);
        self.log.push(format!("open {name} {mode:?}"));
        let mounted = mode.options().open(self.mounted.join(&name));
        let local = mode.options().open(self.local.join(&name));
        match (mounted, local) {
            (Ok(mounted), Ok(local)) => self.open.push(Pair {
                mounted,
                local,
                mode,
                name,
            }),
            (mounted, local) => self.check(
                "open",
                &outcome(mounted).map(|_| ()),
                &outcome(local).map(|_| ()),
            ),
        }
    }

    /// Writes a run of one letter through descriptor `index`: at a random offset (past the
    /// end too), or at its position (the end, with O_APPEND).
    fn write(&mut self, index: usize) {
        let length = 1 + self.random.below(24 << 10) as usize;
        let byte = b'a' + self.random.below(26) as u8;
        let data = vec![byte; length];
        let size = self.open[index].local.metadata().map_or(0, |m| m.len());
        let offset = self.random.below((size + 8192).min(MAX_SIZE));
        let at_position = self.open[index].mode == Mode::Append || self.random.below(4) == 0;
        let pair = &mut self.open[index];
        if at_position {
            self.log.push(format!(
                "write #{index} ({}) {length}×{} at its position",
                pair.name, byte as char
            ));
            let mounted = outcome(pair.mounted.write_all(&data));
            let local = outcome(pair.local.write_all(&data));
            let mounted_at = outcome(pair.mounted.stream_position());
            let local_at = outcome(pair.local.stream_position());
            self.check("write", &mounted, &local);
            self.check("the position after a write", &mounted_at, &local_at);
        } else {
            self.log.push(format!(
                "pwrite #{index} ({}) {length}×{} at {offset}",
                pair.name, byte as char
            ));
            let mounted = outcome(pair.mounted.write_all_at(&data, offset));
            let local = outcome(pair.local.write_all_at(&data, offset));
            self.check("pwrite", &mounted, &local);
        }
    }

    /// Reads a random range through descriptor `index` with pread.
    fn pread(&mut self, index: usize) {
        let offset = self.random.below(MAX_SIZE);
        let length = 1 + self.random.below(64 << 10) as usize;
        let pair = &self.open[index];
        self.log.push(format!(
            "pread #{index} ({}) {length} at {offset}",
            pair.name
        ));
        let mut mounted = vec![0u8; length];
        let mut local = vec![0u8; length];
        let read_mounted = outcome(pair.mounted.read_at(&mut mounted, offset));
        let read_local = outcome(pair.local.read_at(&mut local, offset));
        self.check("pread", &read_mounted, &read_local);
        if let Ok(count) = read_local {
            self.check("pread's bytes", &&mounted[..count], &&local[..count]);
        }
    }

    /// Seeks descriptor `index` to a random offset and reads on from there.
    fn read(&mut self, index: usize) {
        let position = self.random.below(MAX_SIZE);
        let pair = &mut self.open[index];
        self.log
            .push(format!("seek #{index} ({}) to {position}, read", pair.name));
        let mut mounted = Vec::new();
        let mut local = Vec::new();
        let _ = pair.mounted.seek(SeekFrom::Start(position));
        let _ = pair.local.seek(SeekFrom::Start(position));
        let read_mounted = outcome((&pair.mounted).take(4096).read_to_end(&mut mounted));
        let read_local = outcome((&pair.local).take(4096).read_to_end(&mut local));
        self.check("read", &read_mounted, &read_local);
        self.check("read's bytes", &mounted, &local);
    }

    /// Compares the two trees and every open descriptor's size.
    fn compare(&self) {
        for (index, pair) in self.open.iter().enumerate() {
            let mounted = outcome(pair.mounted.metadata().map(|m| m.len()));
            let local = outcome(pair.local.metadata().map(|m| m.len()));
            self.check(
                &format!("fstat of #{index} ({})", pair.name),
                &mounted,
                &local,
            );
        }
        self.check(
            "the listing",
            &sorted_names(&self.mounted),
            &sorted_names(&self.local),
        );
        let mounted = contents(&self.mounted);
        for (name, data) in &contents(&self.local) {
            let Some(through) = mounted.get(name) else {
                continue;
            };
            if through != data {
                let first = through
                    .iter()
                    .zip(data)
                    .position(|(a, b)| a != b)
                    .unwrap_or(through.len().min(data.len()));
                self.fail(&format!(
                    "{name}: {} bytes through the mount, {} locally, first difference at {first}",
                    through.len(),
                    data.len()
                ));
            }
        }
    }
}

fn from_env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

#[test]
fn random_operations_through_several_descriptors_match_a_local_directory() {
    let seeds: Vec<u64> = std::env::var("WNET_MODEL_SEEDS").ok().map_or_else(
        || (1..=6).collect(),
        |seeds| {
            seeds
                .split(',')
                .filter_map(|seed| seed.trim().parse().ok())
                .collect()
        },
    );
    let steps: usize = from_env("WNET_MODEL_STEPS").unwrap_or(1000);
    let mounted = Mounted::new("model", DriveOptions::default());
    let scratch = Scratch::new("model");
    for seed in seeds {
        let mounted_dir = mounted.through_mount.join(format!("seed-{seed}"));
        let local_dir = scratch.join(&format!("seed-{seed}"));
        fs::create_dir(&mounted_dir).expect("the seed's directory on the mount");
        fs::create_dir(&local_dir).expect("the seed's local directory");
        let mut model = Model {
            mounted: mounted_dir,
            local: local_dir,
            open: Vec::new(),
            random: Random(seed),
            log: Vec::new(),
            seed,
            step: 0,
        };
        for step in 0..steps {
            model.step = step;
            model.step();
            model.compare();
        }
        model.open.clear();
        model.step = steps;
        model.compare();
    }
}
