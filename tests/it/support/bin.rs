//! Runs the real `crawl` binary in a temporary directory.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::HANG_GUARD;

/// A temporary working directory to run `crawl` in.
#[derive(Debug)]
pub struct Bin {
    dir: TempDir,
}

/// How a run ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing stderr when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
        self
    }
}

impl Default for Bin {
    fn default() -> Self {
        Self::new()
    }
}

impl Bin {
    /// A fresh empty directory.
    pub fn new() -> Bin {
        Bin {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// `name` inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the directory.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.path(name), contents).expect("write test file");
    }

    /// Reads a file of the directory.
    ///
    /// # Panics
    ///
    /// When it does not exist.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// `crawl <args>` in the directory, with stdin closed and a clean environment
    /// for logging.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_crawl"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `crawl <args>` to its end (killed after [`HANG_GUARD`]).
    pub fn run(&self, args: &[&str]) -> Run {
        let child = self.command(args).spawn().expect("spawn crawl");
        wait(child)
    }
}

/// Collects a child's output and waits for it, killing it after [`HANG_GUARD`].
///
/// # Panics
///
/// When it had to be killed.
pub fn wait(mut child: Child) -> Run {
    let stdout = reader(child.stdout.take());
    let mut stderr = Some(reader(child.stderr.take()));
    let status = wait_status(&mut child, || {
        format!(
            "crawl hung for {HANG_GUARD:?}; stderr:\n{}",
            joined(&mut stderr)
        )
    });
    Run {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: joined(&mut stderr),
    }
}

/// What a [`reader`] read, once (empty after the first call).
pub fn joined(pipe: &mut Option<JoinHandle<String>>) -> String {
    pipe.take()
        .map(|p| p.join().unwrap_or_default())
        .unwrap_or_default()
}

/// Waits for `child` to exit; after [`HANG_GUARD`] kills it and panics with what
/// `hung` says.
pub fn wait_status(child: &mut Child, hung: impl FnOnce() -> String) -> ExitStatus {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{}", hung());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads a child's pipe to its end on a thread of its own (so the child never blocks
/// on a full pipe), and gives what it read.
pub fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
