//! The README's tour, run as written: every ```` ```sh ```` block between `<!-- tour:begin -->`
//! and `<!-- tour:end -->` in one bash process, and every output the README shows checked.
//!
//! A command is one shell command as a reader would type it (continued over lines by a trailing
//! `\`, `|`, `&&` or `||`, or by an open quote or parenthesis). The `# ...` comment lines right
//! under a command are the output it must print (stdout and stderr together), line by line:
//! `...` or `…` inside a line stands for any text, a line that is only `...` or `…` for any
//! number of lines; trailing whitespace is not compared. A command with no such lines is only
//! required to succeed (`set -e`). Comment lines after a blank line are notes to the reader, not
//! output.
//!
//! The tour runs in a fresh directory holding a copy of `examples/`, with the built `skydd` first
//! on `PATH` and the server on a free port: `127.0.0.1:8080` in the README becomes that port
//! (the one change made to the text). Every process the tour starts is in one process group,
//! which is killed when the test ends, passed or not.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Where the tour starts and ends in README.md.
const BEGIN: &str = "<!-- tour:begin -->";
const END: &str = "<!-- tour:end -->";

/// The address the README shows; the test puts a free port in its place.
const README_ADDRESS: &str = "127.0.0.1:8080";

/// The longest the whole tour may take before it counts as hung (it takes seconds).
const TOUR_PATIENCE: Duration = Duration::from_secs(180);

/// One command of the tour and the output the README shows under it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    /// The README line the command starts on (1-based), for messages.
    line: usize,
    /// The command as written, possibly over several lines.
    command: String,
    /// The output lines shown under it (without the `# `); empty when none is shown.
    expected: Vec<String>,
}

/// The ```` ```sh ```` blocks of the tour, each with the README line its first line is on.
fn tour_blocks(readme: &str) -> Vec<(usize, Vec<&str>)> {
    let mut blocks = Vec::new();
    let mut inside_tour = false;
    let mut block: Option<(usize, Vec<&str>)> = None;
    for (index, line) in readme.lines().enumerate() {
        let number = index + 1;
        if let Some((_, lines)) = &mut block {
            if line.trim_start().starts_with("```") {
                blocks.extend(block.take());
            } else {
                lines.push(line);
            }
        } else if line.trim() == BEGIN {
            assert!(!inside_tour, "README.md:{number}: a second {BEGIN}");
            inside_tour = true;
        } else if line.trim() == END {
            assert!(inside_tour, "README.md:{number}: {END} without {BEGIN}");
            return blocks;
        } else if inside_tour && line.trim() == "```sh" {
            block = Some((number + 1, Vec::new()));
        }
    }
    panic!("README.md has no tour: it needs {BEGIN} ... {END} around ```sh blocks");
}

/// Where a shell scanner is: inside which kind of quote or parenthesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Single,
    Double,
    Paren,
}

/// Whether `text` (a command so far) is complete: no quote or parenthesis left open and no
/// line that asks for more (a trailing `\`, `|`, `&&` or `||`).
fn is_complete(text: &str) -> bool {
    let mut open: Vec<Open> = Vec::new();
    let mut wants_more = false;
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut index = 0;
        let mut code_end = chars.len();
        while index < chars.len() {
            let char = chars[index];
            match open.last() {
                Some(Open::Single) => {
                    if char == '\'' {
                        open.pop();
                    }
                }
                Some(Open::Double) => match char {
                    '\\' => index += 1,
                    '"' => {
                        open.pop();
                    }
                    '$' if chars.get(index + 1) == Some(&'(') => {
                        open.push(Open::Paren);
                        index += 1;
                    }
                    _ => {}
                },
                None | Some(Open::Paren) => match char {
                    '\\' => index += 1,
                    '\'' => open.push(Open::Single),
                    '"' => open.push(Open::Double),
                    '(' => open.push(Open::Paren),
                    ')' => {
                        open.pop_if(|open| *open == Open::Paren);
                    }
                    '#' if index == 0 || chars[index - 1].is_whitespace() => {
                        code_end = index;
                        break;
                    }
                    _ => {}
                },
            }
            index += 1;
        }
        let code: String = chars[..code_end.min(chars.len())].iter().collect();
        let code = code.trim_end();
        wants_more = open.is_empty()
            && (code.ends_with('\\')
                || code.ends_with('|')
                || code.ends_with("&&")
                || code.ends_with("||"));
    }
    open.is_empty() && !wants_more
}

/// The expected output line a `# ...` comment stands for, or `None` when `line` is not one.
fn shown_output(line: &str) -> Option<String> {
    let rest = line.strip_prefix('#')?;
    Some(rest.strip_prefix(' ').unwrap_or(rest).to_owned())
}

/// The tour's commands in order, each with the output shown under it.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for (first_line, lines) in tour_blocks(readme) {
        let mut command: Option<(usize, String)> = None;
        // Whether a `# ` line now is output: right under a command or under output.
        let mut output_follows = false;
        for (offset, line) in lines.into_iter().enumerate() {
            let number = first_line + offset;
            if let Some((_, text)) = &mut command {
                text.push('\n');
                text.push_str(line);
            } else if line.trim().is_empty() {
                output_follows = false;
                continue;
            } else if let Some(shown) = shown_output(line) {
                if output_follows {
                    steps.last_mut().unwrap().expected.push(shown);
                }
                continue;
            } else {
                command = Some((number, line.to_owned()));
            }
            if let Some((start, text)) = command.take_if(|(_, text)| is_complete(text)) {
                steps.push(Step {
                    line: start,
                    command: text,
                    expected: Vec::new(),
                });
                output_follows = true;
            }
        }
        if let Some((start, text)) = command {
            panic!("README.md:{start}: the command does not end inside its block:\n{text}");
        }
    }
    assert!(!steps.is_empty(), "the README tour has no commands");
    steps
}

/// Whether `line` matches `pattern`, in which `...` and `…` stand for any text. Trailing
/// whitespace, invisible on a terminal and stripped by editors, is not compared.
fn line_matches(pattern: &str, line: &str) -> bool {
    let pattern = pattern.trim_end().replace('…', "...");
    let line = line.trim_end();
    let mut parts = pattern.split("...");
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether a pattern line is a whole-line gap: any number of lines.
fn is_gap(pattern: &str) -> bool {
    matches!(pattern.trim(), "..." | "…")
}

/// Whether `lines` match `patterns` in order, gaps matching any number of lines.
fn output_matches(patterns: &[String], lines: &[&str]) -> bool {
    match patterns.split_first() {
        None => lines.is_empty(),
        Some((gap, rest)) if is_gap(gap) => {
            (0..=lines.len()).any(|skip| output_matches(rest, &lines[skip..]))
        }
        Some((pattern, rest)) => lines.split_first().is_some_and(|(line, remaining)| {
            line_matches(pattern, line) && output_matches(rest, remaining)
        }),
    }
}

/// The bash script that runs `steps`, writing each command's output to `OUT/N`.
fn script(steps: &[Step], port: u16) -> String {
    let mut script = String::from("set -euo pipefail\n");
    for (number, step) in steps.iter().enumerate() {
        let command = step
            .command
            .replace(README_ADDRESS, &format!("127.0.0.1:{port}"));
        // A group, not a subshell: variables the command sets stay set for the next ones.
        writeln!(
            script,
            "# README.md:{}\n{{\n{command}\n}} >\"$TOUR_OUT/{number}\" 2>&1",
            step.line
        )
        .unwrap();
    }
    script
}

/// Whether every tool the tour calls, besides `skydd`, is installed; in CI they must be.
fn tools_available() -> bool {
    let missing: Vec<&str> = ["bash", "curl", "jq", "sqlite3"]
        .into_iter()
        .filter(|tool| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the README tour: install {} (`.ci/run` does)",
        missing.join(", ")
    );
    use std::io::Write as _;
    // libtest captures eprintln!, not writes to the stderr handle: this note is seen.
    let _ = std::io::stderr().write_all(
        format!(
            "note: {} not installed; the README tour test is skipped\n",
            missing.join(", ")
        )
        .as_bytes(),
    );
    false
}

/// A free TCP port on the loopback interface (free when asked; nothing else here takes it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Copy the directory tree at `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The bash running the tour, in a process group of its own; the whole group (the servers the
/// tour started included) is killed when this is dropped.
struct Tour {
    child: Child,
}

impl Drop for Tour {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        for signal in ["-TERM", "-KILL"] {
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
            thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of `text`, indented behind a bar, for a failure message.
fn indented(text: &str) -> String {
    text.lines().map(|line| format!("    | {line}\n")).collect()
}

#[test]
fn the_readme_tour_runs_as_written_and_shows_what_the_product_prints() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let steps = steps(&readme);
    if !tools_available() {
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("tour");
    let out = dir.path().join("out");
    let bin = dir.path().join("bin");
    for made in [&work, &out, &bin] {
        std::fs::create_dir_all(made).unwrap();
    }
    copy_tree(&super::examples().join(".."), &work.join("examples"));
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_skydd"), bin.join("skydd")).unwrap();
    let port = free_port();
    let script_path = dir.path().join("tour.sh");
    std::fs::write(&script_path, script(&steps, port)).unwrap();

    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut command = Command::new("bash");
    command
        .arg(&script_path)
        .current_dir(&work)
        .env("PATH", path)
        .env("TOUR_OUT", &out)
        .env("SKYDD_BIND", format!("127.0.0.1:{port}"))
        .env("SKYDD_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    for variable in [
        "SKYDD_DATA_DIR",
        "SKYDD_REGISTER",
        "SKYDD_DATABASE_URL",
        "SKYDD_BUSY_TIMEOUT",
        "TOKEN",
        "API",
    ] {
        command.env_remove(variable);
    }
    let mut tour = Tour {
        child: command.spawn().unwrap(),
    };
    let stderr = tour.child.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut text);
        text
    });
    let deadline = Instant::now() + TOUR_PATIENCE;
    let status = loop {
        if let Some(status) = tour.child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        thread::sleep(Duration::from_millis(50));
    };
    // The servers the tour started go now, whatever happened (Drop does it on a panic too).
    drop(tour);
    let bash_stderr = stderr.join().unwrap();

    let output_of = |number: usize| std::fs::read_to_string(out.join(number.to_string())).ok();
    let ran = (0..steps.len())
        .take_while(|&number| output_of(number).is_some())
        .count();
    let server_log = std::fs::read_to_string(work.join("skydd.log")).unwrap_or_default();
    if status.is_none_or(|status| !status.success()) {
        let last = ran.saturating_sub(1);
        let step = &steps[last];
        panic!(
            "the README tour {} at README.md:{}:\n{}\nwhich printed:\n{}\nbash said:\n{}\nthe \
             server's log:\n{}",
            if status.is_none() { "hung" } else { "failed" },
            step.line,
            indented(&step.command),
            indented(&output_of(last).unwrap_or_default()),
            indented(&bash_stderr),
            indented(&server_log),
        );
    }
    assert_eq!(ran, steps.len(), "every command of the tour ran");

    let mut wrong = String::new();
    for (number, step) in steps.iter().enumerate() {
        if step.expected.is_empty() {
            continue;
        }
        let expected: Vec<String> = step
            .expected
            .iter()
            .map(|line| line.replace(README_ADDRESS, &format!("127.0.0.1:{port}")))
            .collect();
        let printed = output_of(number).unwrap_or_default();
        let lines: Vec<&str> = printed.lines().collect();
        if !output_matches(&expected, &lines) {
            writeln!(
                wrong,
                "README.md:{}:\n{}  shows:\n{}  but it printed:\n{}",
                step.line,
                indented(&step.command),
                indented(&step.expected.join("\n")),
                indented(&printed),
            )
            .unwrap();
        }
    }
    assert!(
        wrong.is_empty(),
        "the README tour shows output the product does not print (change one of them):\n{wrong}"
    );
}

#[test]
fn commands_are_split_where_a_reader_would_split_them() {
    let readme = "intro\n<!-- tour:begin -->\n```sh\n# a note, not output\necho one\n# one\n\n\
                  # another note\nX=$(echo 'a \"b\"' |\n  tr a A)\necho \"$X\" \\\n  two\n\
                  # A \"b\" two\ncurl -d '{\"a\":\n  1}' x   # a trailing comment\n```\n\
                  ```\nnot sh\n```\n<!-- tour:end -->\n```sh\nnot in the tour\n```\n";
    let steps = steps(readme);
    let commands: Vec<(usize, &str, Vec<&str>)> = steps
        .iter()
        .map(|step| {
            (
                step.line,
                step.command.as_str(),
                step.expected.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        commands,
        vec![
            (5, "echo one", vec!["one"]),
            (9, "X=$(echo 'a \"b\"' |\n  tr a A)", vec![]),
            (11, "echo \"$X\" \\\n  two", vec!["A \"b\" two"]),
            (
                14,
                "curl -d '{\"a\":\n  1}' x   # a trailing comment",
                vec![]
            ),
        ]
    );
}

#[test]
fn shown_output_matches_with_wildcards_and_nothing_else() {
    let patterns = |lines: &[&str]| {
        lines
            .iter()
            .map(|line| line.to_string())
            .collect::<Vec<_>>()
    };
    assert!(output_matches(&patterns(&["a ... c"]), &["a b c"]));
    assert!(output_matches(&patterns(&["a … c"]), &["a  c"]));
    assert!(!output_matches(&patterns(&["a ... c"]), &["a b c d"]));
    assert!(!output_matches(&patterns(&["a b c"]), &["a b d"]));
    assert!(!output_matches(&patterns(&["a"]), &["a", "b"]));
    assert!(!output_matches(&patterns(&["a", "b"]), &["a"]));
    assert!(output_matches(&patterns(&["a", "...", "z"]), &["a", "z"]));
    assert!(output_matches(
        &patterns(&["a", "...", "z"]),
        &["a", "b", "c", "z"]
    ));
    assert!(!output_matches(&patterns(&["a", "...", "z"]), &["a", "b"]));
    assert!(!output_matches(&patterns(&["x...x"]), &["x"]));
    assert!(output_matches(&patterns(&["x...x"]), &["xyx"]));
}
