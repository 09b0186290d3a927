//! Apply benchmark (a program, not a test): `cargo bench -p harmony-runtime --bench apply_files`.
//!
//! Applies 100, 1,000 and 10,000 new files (200 bytes each, 100 per directory) on `Localhost`
//! through the command line's entry point (`cli_from ... apply --state-dir DIR`, stdout
//! silenced), then applies the same plan again (every step unchanged). Every file is written
//! safely and durably (random temporary, fsync, rename, fsync of the directory) and every step
//! is recorded in the state's journal (one fsynced line).
//!
//! Prints the time and the time per file of each, the ratio of the time per file at 10,000 to
//! that at 1,000 (Harmony's goal: at most 1.3, i.e. recording is O(change), not O(state)) and
//! whether 1,000 new files apply in under 1 s.

use std::path::Path;
use std::time::{Duration, Instant};

use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{Operation, Plan};
use harmony_runtime::{ExitStatus, Localhost, cli_from};

fn plan(files: usize) -> Plan<Localhost> {
    let mut plan = Plan::new("bench");
    for i in 0..files {
        plan.push_step(
            &format!("f{i}"),
            Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
                path: format!("files/d{:03}/f{i:05}.conf", i / 100).into(),
                kind: FileKind::File {
                    content: format!("key_{i} = {i}\n").repeat(30)[..200].to_string(),
                    mode: Some(0o644),
                },
            }),
            &[],
        );
    }
    plan
}

/// Runs `apply` on `project` with stdout sent to /dev/null; returns how long it took.
fn apply(project: &Path, files: usize) -> Duration {
    let state = project.join(".harmony");
    let plan = plan(files);
    let args = [
        "bench".to_string(),
        "apply".into(),
        "--state-dir".into(),
        state.display().to_string(),
    ];
    let topology = Localhost::with_dirs(project, &state);
    // SAFETY: dup/dup2/open on file descriptors this program owns; restored below.
    let saved = unsafe {
        let saved = libc::dup(1);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        libc::dup2(null, 1);
        libc::close(null);
        saved
    };
    let started = Instant::now();
    let status = cli_from(args, topology, plan);
    let elapsed = started.elapsed();
    // SAFETY: puts back the stdout saved above.
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    assert_eq!(status, ExitStatus::Ok, "apply of {files} files failed");
    elapsed
}

fn per_file(d: Duration, files: usize) -> f64 {
    d.as_secs_f64() * 1e6 / files as f64
}

fn main() {
    let mut fresh_per_file = Vec::new();
    println!("apply of N new files on Localhost, then the idempotent re-apply");
    println!(
        "{:>7}  {:>10}  {:>12}  {:>12}  {:>12}",
        "files", "apply", "per file", "re-apply", "per file"
    );
    for files in [100, 1_000, 10_000] {
        // Best of a few runs for the small sizes (each in a fresh directory).
        let runs = if files >= 10_000 { 1 } else { 3 };
        let mut best_fresh = Duration::MAX;
        let mut best_again = Duration::MAX;
        for _ in 0..runs {
            let dir = tempfile::tempdir().expect("temp dir");
            best_fresh = best_fresh.min(apply(dir.path(), files));
            best_again = best_again.min(apply(dir.path(), files));
        }
        fresh_per_file.push(per_file(best_fresh, files));
        println!(
            "{files:>7}  {:>9.3}s  {:>10.1}µs  {:>11.3}s  {:>10.1}µs",
            best_fresh.as_secs_f64(),
            per_file(best_fresh, files),
            best_again.as_secs_f64(),
            per_file(best_again, files),
        );
        if files == 1_000 {
            println!(
                "         1,000 new files in {:.3}s: {}",
                best_fresh.as_secs_f64(),
                if best_fresh < Duration::from_secs(1) {
                    "under 1 s"
                } else {
                    "NOT under 1 s"
                }
            );
        }
    }
    let ratio = fresh_per_file[2] / fresh_per_file[1];
    println!(
        "time per new file, 10,000 / 1,000: {ratio:.2} ({})",
        if ratio <= 1.3 {
            "flat: at most 1.3"
        } else {
            "NOT flat: above 1.3"
        }
    );
}
