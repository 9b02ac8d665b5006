//! The bounded parse: html5ever fed in chunks into a [lean tree](tree), with limits on
//! what one document may build and a check between chunks for the deadline.
//!
//! html5ever follows the HTML standard, whose tree builder scans the stack of open
//! elements and the list of active formatting elements for many tokens: a document
//! nested 100,000 deep costs time quadratic in its depth (50 s of CPU for 1.1 MB), and
//! formatting elements rebuilt at each paragraph make a few bytes build thousands of
//! elements. So, between the tokenizer and the tree builder:
//!
//! - **Depth.** Once the open elements and active formatting elements number
//!   [`MAX_DEPTH`] (512, the depth at which browsers also stop nesting), further start
//!   tags are dropped, but for those of links (`a`, `area`, `base`; with other kinds
//!   of links asked for, their void elements: `img`, `source`, `embed`, `track`,
//!   `input`, `link`, `meta`) and of the elements whose contents are raw text
//!   (`script`, `style`, `textarea`, `title`, ...), which cannot pile up. Below that
//!   depth the tree is exactly a browser's.
//! - **Elements.** A document may build at most [`element_budget`] elements: 16,384
//!   plus one for each 3 bytes of its text (a start tag takes at least 3 bytes, so no
//!   document reaches it without the tree builder multiplying its tags). Past it the
//!   parse stops with [`Stop::Budget`].
//! - **Time.** The text is fed [`CHUNK`] bytes at a time; between chunks the caller's
//!   check may stop the parse (its deadline passed, the crawl was cancelled).
//!
//! The lean tree keeps 32 bytes an element, so a parse holds at most about
//! `16384 × 32 + 11 × text length` bytes of tree, besides the text itself.

pub(crate) mod tree;

use html5ever::buffer_queue::BufferQueue;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{
    NodeOrText, QuirksMode, Tracer, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{TokenizerResult, local_name};
use std::cell::Cell;

use scraper::{Html, HtmlTreeSink};
use tree::{Found, LeanSink};

use crate::extract::LinkKinds;

/// Open plus active formatting elements past which start tags are dropped.
pub const MAX_DEPTH: usize = 512;

/// Bytes of text fed to the parser at a time.
pub const CHUNK: usize = 16 * 1024;

/// The most elements a document of `text_len` bytes may build.
pub fn element_budget(text_len: usize) -> usize {
    16_384 + text_len / 3
}

/// Why a parse stopped before the end of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The document built more elements than its budget allows.
    Budget {
        /// The budget it went over.
        elements: usize,
    },
    /// The caller's check said to stop (its deadline passed).
    Deadline,
    /// The caller's check said to stop (the crawl is stopping).
    Cancelled,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Budget { elements } => write!(
                f,
                "the page builds more than {elements} elements (the parse budget for its size)"
            ),
            Stop::Deadline => f.write_str("the parse did not end within the page's deadline"),
            Stop::Cancelled => f.write_str("the crawl stopped during the parse"),
        }
    }
}

/// Parses `html` into a lean tree keeping the values of the links `kinds` names, and
/// returns what extraction needs, with why the parse stopped early if it did (what it
/// found up to there is still returned). `check` runs between chunks; `Some(stop)`
/// ends the parse.
pub(crate) fn parse(
    html: &str,
    kinds: LinkKinds,
    check: impl FnMut() -> Option<Stop>,
) -> (Found, Option<Stop>) {
    run(LeanSink::new(kinds), html, kinds, check, LeanSink::found)
}

/// The bounded parse into scraper's whole tree (for CSS selectors), with the same
/// limits as [`parse`].
pub(crate) fn parse_scraper(
    html: &str,
    kinds: LinkKinds,
    check: impl FnMut() -> Option<Stop>,
) -> (Html, Option<Stop>) {
    let sink = Counted {
        inner: HtmlTreeSink::new(Html::new_document()),
        elements: Cell::new(0),
    };
    run(sink, html, kinds, check, |sink| {
        std::mem::replace(&mut *sink.inner.0.borrow_mut(), Html::new_document())
    })
}

/// A tree sink that says how many elements it has created.
pub(crate) trait Budgeted: TreeSink {
    /// Elements created so far.
    fn elements(&self) -> usize;
}

impl Budgeted for LeanSink {
    fn elements(&self) -> usize {
        LeanSink::elements(self)
    }
}

/// The bounded parse into `sink`; `finish` takes what the caller needs from it.
fn run<S: Budgeted, R>(
    sink: S,
    html: &str,
    kinds: LinkKinds,
    mut check: impl FnMut() -> Option<Stop>,
    finish: impl FnOnce(&S) -> R,
) -> (R, Option<Stop>) {
    let budget = element_budget(html.len());
    let builder = TreeBuilder::new(sink, TreeBuilderOpts::default());
    let tokenizer = Tokenizer::new(
        Filter {
            builder,
            budget,
            kinds,
            over: Cell::new(false),
            too_deep: Cell::new(None),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        rest = tail;
        input.push_back(StrTendril::from_slice(chunk));
        // A script or an encoding indicator pauses the tokenizer: go on to the end.
        while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
        if tokenizer.sink.over.get() {
            break;
        }
        if !rest.is_empty()
            && let Some(stop) = check()
        {
            return (finish(&tokenizer.sink.builder.sink), Some(stop));
        }
    }
    let stop = if tokenizer.sink.over.get() {
        Some(Stop::Budget { elements: budget })
    } else {
        tokenizer.end();
        None
    };
    (finish(&tokenizer.sink.builder.sink), stop)
}

/// Between the tokenizer and the tree builder: drops start tags past [`MAX_DEPTH`],
/// and every token once the element budget is spent.
struct Filter<S: TreeSink> {
    builder: TreeBuilder<S::Handle, S>,
    budget: usize,
    /// The kinds of links extracted: their void elements are admitted past the depth.
    kinds: LinkKinds,
    over: Cell<bool>,
    /// Whether the tree builder held more than [`MAX_DEPTH`] handles when last
    /// counted; `None` once a token has reached it since. Dropped tokens change
    /// nothing, so a run of them is counted once, not once each.
    too_deep: Cell<Option<bool>>,
}

/// Counts the handles the tree builder holds: the document, the open elements and
/// the active formatting elements.
struct Count<H>(Cell<usize>, std::marker::PhantomData<H>);

impl<H> Tracer for Count<H> {
    type Handle = H;
    fn trace_handle(&self, _node: &H) {
        self.0.set(self.0.get() + 1);
    }
}

impl<S: Budgeted> Filter<S> {
    /// Whether this start tag goes to the tree builder.
    fn admits(&self, tag: &Tag) -> bool {
        if matches!(
            tag.name,
            local_name!("a")
                | local_name!("area")
                | local_name!("base")
                | local_name!("script")
                | local_name!("style")
                | local_name!("textarea")
                | local_name!("title")
                | local_name!("xmp")
                | local_name!("iframe")
                | local_name!("noembed")
                | local_name!("noframes")
                | local_name!("noscript")
                | local_name!("plaintext")
        ) {
            return true;
        }
        // The void elements of the other kinds cannot pile up either.
        if self.kinds.beyond_hyperlinks()
            && matches!(
                tag.name,
                local_name!("img")
                    | local_name!("source")
                    | local_name!("embed")
                    | local_name!("track")
                    | local_name!("input")
                    | local_name!("link")
                    | local_name!("meta")
            )
        {
            return true;
        }
        let too_deep = match self.too_deep.get() {
            Some(known) => known,
            None => {
                let count = Count(Cell::new(0), std::marker::PhantomData);
                self.builder.trace_handles(&count);
                let too_deep = count.0.get() > MAX_DEPTH;
                self.too_deep.set(Some(too_deep));
                too_deep
            }
        };
        !too_deep
    }
}

impl<S: Budgeted> TokenSink for Filter<S>
where
    S::Handle: Clone,
{
    type Handle = S::Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<S::Handle> {
        if self.over.get() {
            return TokenSinkResult::Continue;
        }
        if let Token::TagToken(tag) = &token
            && tag.kind == TagKind::StartTag
            && !self.admits(tag)
        {
            return TokenSinkResult::Continue;
        }
        self.too_deep.set(None);
        let result = self.builder.process_token(token, line_number);
        if self.builder.sink.elements() > self.budget {
            self.over.set(true);
        }
        result
    }

    fn end(&self) {
        if !self.over.get() {
            self.builder.end();
        }
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// scraper's tree sink, counting the elements it creates.
pub(crate) struct Counted {
    inner: HtmlTreeSink,
    elements: Cell<usize>,
}

impl Budgeted for Counted {
    fn elements(&self) -> usize {
        self.elements.get()
    }
}

/// Every method goes to scraper's sink; `create_element` also counts.
impl TreeSink for Counted {
    type Handle = <HtmlTreeSink as TreeSink>::Handle;
    type Output = Html;
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Html {
        self.inner.finish()
    }
    fn parse_error(&self, msg: std::borrow::Cow<'static, str>) {
        self.inner.parse_error(msg);
    }
    fn get_document(&self) -> Self::Handle {
        self.inner.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }
    fn create_element(
        &self,
        name: html5ever::QualName,
        attrs: Vec<html5ever::Attribute>,
        flags: html5ever::tree_builder::ElementFlags,
    ) -> Self::Handle {
        self.elements.set(self.elements.get() + 1);
        self.inner.create_element(name, attrs, flags)
    }
    fn create_comment(&self, text: StrTendril) -> Self::Handle {
        self.inner.create_comment(text)
    }
    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Self::Handle {
        self.inner.create_pi(target, data)
    }
    fn append(&self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        self.inner.append(parent, child);
    }
    fn append_based_on_parent_node(
        &self,
        element: &Self::Handle,
        prev_element: &Self::Handle,
        child: NodeOrText<Self::Handle>,
    ) {
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(&self, name: StrTendril, public: StrTendril, system: StrTendril) {
        self.inner.append_doctype_to_document(name, public, system);
    }
    fn mark_script_already_started(&self, node: &Self::Handle) {
        self.inner.mark_script_already_started(node);
    }
    fn get_template_contents(&self, target: &Self::Handle) -> Self::Handle {
        self.inner.get_template_contents(target)
    }
    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        self.inner.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }
    fn append_before_sibling(&self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        self.inner.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&self, target: &Self::Handle, attrs: Vec<html5ever::Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }
    fn remove_from_parent(&self, target: &Self::Handle) {
        self.inner.remove_from_parent(target);
    }
    fn reparent_children(&self, node: &Self::Handle, new_parent: &Self::Handle) {
        self.inner.reparent_children(node, new_parent);
    }
}

#[cfg(test)]
mod tests;
