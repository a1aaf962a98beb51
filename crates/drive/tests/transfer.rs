//! Data through the drive against the Samba lab: files written through the mount with ordinary
//! tools (`cp`, `dd`, `python3`) read back with smbclient, files smbclient put (or the server
//! wrote) read through the mount, and writers running at once — every byte compared by
//! SHA-256.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use wnet_drive::DriveOptions;

use common::{
    Mounted, Scratch, TOOL_LIMIT, assert_success, listing, random_bytes, random_file, run, sh,
    sha256_file, sha256_files,
};

const MIB: u64 = 1 << 20;

/// The names of the files directly in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    listing(dir).into_keys().collect()
}

/// `count` small files in `dir`, of sizes 0 to 8 KiB (some of them exactly a page).
fn small_files(dir: &Path, count: usize) {
    fs::create_dir_all(dir).expect("a local directory");
    let pool = random_bytes(8192 + count);
    for index in 0..count {
        let size = match index % 10 {
            0 => 0,
            1 => 4096,
            2 => 8192,
            _ => (index * 7919) % 8192,
        };
        let start = index % count;
        fs::write(
            dir.join(format!("f{index:05}.dat")),
            &pool[start..start + size],
        )
        .expect("a small file");
    }
}

/// cp, dd with 1 MiB and with 4 KiB blocks, and python3 write files through the mount;
/// smbclient reads them back and each matches its source by SHA-256. The 256 MiB file is also
/// read back through the mount.
#[test]
fn files_written_with_ordinary_tools_are_what_smbclient_reads() {
    let mounted = Mounted::new("drive-tools", DriveOptions::default());
    let here = &mounted.through_mount;
    let scratch = Scratch::new("tools");
    let sources = [
        ("cp.bin", 256 * MIB),
        ("dd-1m.bin", 64 * MIB),
        ("dd-4k.bin", 16 * MIB),
        ("python.bin", 32 * MIB + 12_345),
    ];
    for (name, size) in sources {
        random_file(&scratch.join(name), size);
    }
    let started = Instant::now();
    let cp = run(
        Command::new("cp")
            .arg(scratch.join("cp.bin"))
            .arg(here.join("cp.bin")),
        TOOL_LIMIT,
    );
    assert_success("cp", &cp);
    eprintln!("cp of 256 MiB through the mount: {:?}", started.elapsed());
    for (name, block) in [("dd-1m.bin", "1M"), ("dd-4k.bin", "4k")] {
        let dd = run(
            Command::new("dd")
                .arg(format!("if={}", scratch.join(name).display()))
                .arg(format!("of={}", here.join(name).display()))
                .arg(format!("bs={block}")),
            TOOL_LIMIT,
        );
        assert_success(&format!("dd bs={block}"), &dd);
    }
    // Python writes in pieces that fit no block boundary, and checks its own close.
    let python = run(
        Command::new("python3")
            .arg("-c")
            .arg(
                "import sys\n\
                 src, dst = sys.argv[1], sys.argv[2]\n\
                 data = open(src, 'rb').read()\n\
                 with open(dst, 'wb') as out:\n\
                 \x20   for at in range(0, len(data), 100_003):\n\
                 \x20       out.write(data[at:at + 100_003])\n",
            )
            .arg(scratch.join("python.bin"))
            .arg(here.join("python.bin")),
        TOOL_LIMIT,
    );
    assert_success("python3", &python);

    let back = scratch.join("back");
    fs::create_dir(&back).expect("a local directory");
    let gets = sources
        .iter()
        .map(|(name, _)| format!("get {} {name}", mounted.remote(name)))
        .collect::<Vec<_>>()
        .join("; ");
    mounted.smbclient(&format!("lcd {}; {gets}", back.display()));
    let names: Vec<String> = sources.iter().map(|(name, _)| (*name).to_owned()).collect();
    let written = sha256_files(&scratch.0, &names);
    assert_eq!(
        sha256_files(&back, &names),
        written,
        "smbclient reads what the tools wrote"
    );
    for (name, size) in sources {
        assert_eq!(fs::metadata(here.join(name)).expect("stat").len(), size);
    }
    let started = Instant::now();
    assert_eq!(
        sha256_file(&here.join("cp.bin")),
        written["cp.bin"],
        "the 256 MiB file read back through the mount"
    );
    eprintln!("256 MiB read through the mount: {:?}", started.elapsed());
}

/// 10,000 small files copied into the mount by four `cp -r` at once (2,500 each, so that the
/// test takes seconds rather than a minute on a busy machine); smbclient fetches them all and
/// each matches its source by SHA-256.
#[test]
fn ten_thousand_small_files_copied_in_are_what_smbclient_reads() {
    const PARTS: usize = 4;
    const PER_PART: usize = 2_500;
    let mounted = Mounted::new("drive-many", DriveOptions::default());
    let scratch = Scratch::new("many");
    let source = scratch.join("small");
    for part in 0..PARTS {
        small_files(&source.join(format!("part{part}")), PER_PART);
    }
    let target = mounted.through_mount.join("small");
    fs::create_dir(&target).expect("mkdir through the mount");

    let started = Instant::now();
    let copies: Vec<_> = (0..PARTS)
        .map(|part| {
            let mut command = Command::new("cp");
            command
                .arg("-r")
                .arg(source.join(format!("part{part}")))
                .arg(target.join(format!("part{part}")));
            std::thread::spawn(move || run(&mut command, TOOL_LIMIT))
        })
        .collect();
    for copy in copies {
        assert_success("cp -r", &copy.join().expect("a cp thread"));
    }
    eprintln!(
        "{PARTS} cp -r of {PER_PART} files each: {:?}",
        started.elapsed()
    );

    let back = scratch.join("back");
    fs::create_dir(&back).expect("a local directory");
    let started = Instant::now();
    mounted.smbclient(&format!(
        "cd {}; lcd {}; prompt off; recurse on; mget small",
        mounted.name,
        back.display()
    ));
    eprintln!(
        "smbclient mget of {} files: {:?}",
        PARTS * PER_PART,
        started.elapsed()
    );
    assert_eq!(listing(&back.join("small")).len(), PARTS);
    for part in 0..PARTS {
        let fetched = back.join(format!("small/part{part}"));
        let part = source.join(format!("part{part}"));
        let names = file_names(&part);
        assert_eq!(names.len(), PER_PART);
        assert_eq!(listing(&fetched), listing(&part), "names and sizes");
        assert_eq!(
            sha256_files(&fetched, &names),
            sha256_files(&part, &names),
            "every file's contents"
        );
    }
}

/// The reverse: smbclient puts a 64 MiB file and 1,000 small ones, the server's disk gets
/// 9,000 more directly; the mount lists each directory with the names and sizes the server's
/// disk has, and reads every file with the SHA-256 of its source.
#[test]
fn files_put_by_smbclient_or_the_server_read_through_the_mount() {
    const PUT: usize = 1_000;
    const DIRECT: usize = 9_000;
    let mounted = Mounted::new("drive-reverse", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let scratch = Scratch::new("reverse");
    let source = scratch.join("small");
    small_files(&source, PUT);
    random_file(&scratch.join("big.bin"), 64 * MIB + 1);

    let started = Instant::now();
    mounted.smbclient(&format!(
        "cd {}; lcd {}; prompt off; recurse on; put big.bin; mput small",
        mounted.name,
        scratch.0.display()
    ));
    eprintln!("smbclient put of {PUT} files: {:?}", started.elapsed());
    // The server's disk gets more directly: a directory of small files and a few of sizes
    // around page and request boundaries.
    small_files(&there.join("direct"), DIRECT);
    for (index, size) in [1usize, 4095, 4097, 1 << 20, (3 << 20) + 17]
        .into_iter()
        .enumerate()
    {
        fs::write(there.join(format!("edge{index}.bin")), random_bytes(size))
            .expect("a file on the server's disk");
    }
    sh(&format!("chmod -R a+rwX '{}'", there.display()));

    let started = Instant::now();
    for dir in ["", "small", "direct"] {
        assert_eq!(
            listing(&here.join(dir)),
            listing(&there.join(dir)),
            "the mount lists {dir:?} as the server's disk does"
        );
    }
    eprintln!("listings through the mount: {:?}", started.elapsed());
    let started = Instant::now();
    let names = file_names(&source);
    assert_eq!(
        sha256_files(&here.join("small"), &names),
        sha256_files(&source, &names),
        "the files smbclient put, through the mount"
    );
    let direct = file_names(&there.join("direct"));
    assert_eq!(direct.len(), DIRECT);
    assert_eq!(
        sha256_files(&here.join("direct"), &direct),
        sha256_files(&there.join("direct"), &direct),
        "the files the server wrote, through the mount"
    );
    eprintln!(
        "{} files hashed through the mount: {:?}",
        PUT + DIRECT,
        started.elapsed()
    );
    assert_eq!(
        sha256_file(&here.join("big.bin")),
        sha256_file(&scratch.join("big.bin"))
    );
    let edges: Vec<String> = (0..5).map(|index| format!("edge{index}.bin")).collect();
    assert_eq!(sha256_files(here, &edges), sha256_files(there, &edges));
}

/// Two `dd`s write different files through the mount at the same time (and a third process
/// reads a file meanwhile); both files are whole on the server.
#[test]
fn two_writers_at_once_both_land_whole() {
    let mounted = Mounted::new("drive-concurrent", DriveOptions::default());
    let here = mounted.through_mount.clone();
    let there = mounted.on_disk.clone();
    let scratch = Scratch::new("concurrent");
    random_file(&scratch.join("one.bin"), 96 * MIB);
    random_file(&scratch.join("two.bin"), 64 * MIB + 4097);
    random_file(&there.join("read.bin"), 32 * MIB);

    let writers: Vec<_> = [("one.bin", "1M"), ("two.bin", "64k")]
        .into_iter()
        .map(|(name, block)| {
            let mut command = Command::new("dd");
            command
                .arg(format!("if={}", scratch.join(name).display()))
                .arg(format!("of={}", here.join(name).display()))
                .arg(format!("bs={block}"));
            std::thread::spawn(move || (name, run(&mut command, TOOL_LIMIT)))
        })
        .collect();
    let read_path = here.join("read.bin");
    let reader = std::thread::spawn(move || sha256_file(&read_path));
    for writer in writers {
        let (name, output) = writer.join().expect("a writer thread");
        assert_success(&format!("dd of {name}"), &output);
    }
    let read = reader.join().expect("the reader thread");
    assert_eq!(read, sha256_file(&there.join("read.bin")), "read meanwhile");
    let names = vec!["one.bin".to_owned(), "two.bin".to_owned()];
    let expected: BTreeMap<String, String> = sha256_files(&scratch.0, &names);
    assert_eq!(
        sha256_files(&there, &names),
        expected,
        "on the server's disk"
    );
    assert_eq!(sha256_files(&here, &names), expected, "through the mount");
}
