//! The input and output files: no error at start destroys an existing output, and the
//! output is never the input.

use crate::support::Bin;

const LIST: &str = "http://127.0.0.1:9/\n";
const KEEP: &str = "source\ttarget\nkept\tintact\n";

#[test]
fn the_input_as_output_is_refused_and_left_intact() {
    let bin = Bin::new();
    bin.write("same.txt", LIST);
    for extra in [&[][..], &["--append"]] {
        let mut args = vec!["same.txt", "-o", "same.txt"];
        args.extend(extra);
        let run = bin.run(&args);
        run.assert_code(2);
        assert!(run.stderr.contains("same.txt"), "{}", run.stderr);
        assert!(run.stderr.contains("is the input"), "{}", run.stderr);
        assert_eq!(bin.read("same.txt"), LIST, "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_input_through_a_link_is_refused_too() {
    let bin = Bin::new();
    bin.write("list.txt", LIST);
    std::os::unix::fs::symlink(bin.path("list.txt"), bin.path("sym.txt")).expect("symlink");
    std::fs::hard_link(bin.path("list.txt"), bin.path("hard.txt")).expect("hard link");
    std::fs::create_dir(bin.path("sub")).expect("mkdir");
    for (input, output) in [
        ("list.txt", "sym.txt"),
        ("sym.txt", "list.txt"),
        ("list.txt", "hard.txt"),
        ("list.txt", "sub/../list.txt"),
    ] {
        let run = bin.run(&[input, "-o", output]);
        run.assert_code(2);
        assert!(run.stderr.contains(output), "{}", run.stderr);
        assert_eq!(bin.read("list.txt"), LIST, "{input} -o {output}");
    }
}

#[test]
fn a_directory_as_input_leaves_the_output_intact() {
    let bin = Bin::new();
    std::fs::create_dir(bin.path("some-dir")).expect("mkdir");
    bin.write("keep.tsv", KEEP);
    let run = bin.run(&["some-dir/", "-o", "keep.tsv"]);
    run.assert_code(1);
    assert!(run.stderr.contains("some-dir"), "{}", run.stderr);
    assert!(run.stderr.contains("directory"), "{}", run.stderr);
    assert_eq!(bin.read("keep.tsv"), KEEP);
}

#[test]
fn a_missing_input_leaves_the_output_intact() {
    let bin = Bin::new();
    bin.write("keep.tsv", KEEP);
    bin.run(&["nope.txt", "-o", "keep.tsv"]).assert_code(1);
    assert_eq!(bin.read("keep.tsv"), KEEP);
}
