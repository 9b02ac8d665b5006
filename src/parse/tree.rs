//! A lean document tree: what link extraction needs of html5ever's output, and no more.
//!
//! html5ever builds the tree through a [`TreeSink`]; scraper's keeps every node with
//! its attributes and text, about 270 bytes a node. Extraction needs only the
//! elements (for tree order and for what is in the document), their names (the tree
//! builder asks for them), the `href` of `<a>`, `<area>` and `<base>`, and the
//! URL-bearing attributes of the other kinds of links asked for. So this sink
//! keeps 32 bytes an element, drops text, comments and doctypes as they come, and
//! interns element names. The tree it builds has the same elements in the same
//! places as scraper's: the crate's property tests check the links of both agree.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, LocalName, QualName, local_name, ns};
use rustc_hash::FxHashMap as HashMap;

use crate::extract::{LinkAttr, LinkKinds, LinkTag};

/// A node's index in the tree.
pub(crate) type Id = u32;

/// No node.
const NONE: Id = u32::MAX;
/// The document.
const DOCUMENT: Id = 0;
/// Every comment and processing instruction: one node that is never attached.
const DISCARDED: Id = 1;

/// What an element is to extraction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Nothing: its `href` is not kept.
    Other,
    /// A hyperlink element.
    Link(LinkTag),
    /// A `<base>` element.
    Base,
}

/// A node: its links to its neighbours, its interned name and what it holds.
#[derive(Clone, Copy)]
struct Node {
    parent: Id,
    prev: Id,
    next: Id,
    first: Id,
    last: Id,
    /// Index into `Tree::names`.
    name: u32,
    /// Index into `Tree::hrefs` of the first of its `count` values, or `NONE`.
    href: u32,
    role: Role,
    /// How many values it has in `Tree::hrefs`.
    count: u8,
    /// A MathML `annotation-xml` that is an HTML integration point.
    integration_point: bool,
}

impl Node {
    fn new(name: u32, role: Role) -> Node {
        Node {
            parent: NONE,
            prev: NONE,
            next: NONE,
            first: NONE,
            last: NONE,
            name,
            href: NONE,
            role,
            count: 0,
            integration_point: false,
        }
    }
}

/// The size of a node, for the bound the module documentation states.
#[cfg(test)]
pub(crate) const NODE_SIZE: usize = size_of::<Node>();

/// The tree's storage.
struct Tree {
    nodes: Vec<Node>,
    names: Vec<QualName>,
    name_ids: HashMap<QualName, u32>,
    hrefs: Vec<(LinkAttr, StrTendril)>,
    /// Template element → its contents (a fragment node, never in the document).
    templates: HashMap<Id, Id>,
}

/// The sink html5ever builds the lean tree through.
pub(crate) struct LeanSink {
    tree: RefCell<Tree>,
    /// Elements created so far.
    elements: Cell<usize>,
    /// The kinds of links whose values are kept.
    kinds: LinkKinds,
}

/// What the tree holds for extraction, in tree order.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The `href` of the first HTML `<base>` element that has one.
    pub base_href: Option<StrTendril>,
    /// The URL-bearing values of the links the kinds name, in the document.
    pub hrefs: Vec<(StrTendril, LinkTag, LinkAttr)>,
}

impl LeanSink {
    pub(crate) fn new(kinds: LinkKinds) -> LeanSink {
        // Name 0 stands in for anything that is not an element.
        let unknown = QualName::new(None, ns!(), local_name!(""));
        let tree = Tree {
            nodes: vec![Node::new(0, Role::Other), Node::new(0, Role::Other)],
            names: vec![unknown.clone()],
            name_ids: HashMap::from_iter([(unknown, 0)]),
            hrefs: Vec::new(),
            templates: HashMap::default(),
        };
        LeanSink {
            tree: RefCell::new(tree),
            elements: Cell::new(0),
            kinds,
        }
    }

    /// How many elements the parse has created.
    pub(crate) fn elements(&self) -> usize {
        self.elements.get()
    }

    /// Walks the document in tree order and collects the first base `href` and every
    /// link's, as [`crate::extract`]'s scan does on scraper's tree.
    pub(crate) fn found(&self) -> Found {
        let tree = self.tree.borrow();
        let mut found = Found::default();
        let nodes = &tree.nodes;
        let mut next = nodes[DOCUMENT as usize].first;
        while next != NONE {
            let node = nodes[next as usize];
            if node.href != NONE {
                let first = node.href as usize;
                let values = &tree.hrefs[first..first + usize::from(node.count)];
                match node.role {
                    Role::Link(tag) => found.hrefs.extend(
                        values
                            .iter()
                            .map(|(attr, value)| (value.clone(), tag, *attr)),
                    ),
                    Role::Base if found.base_href.is_none() => {
                        found.base_href = values.first().map(|(_, v)| v.clone());
                    }
                    _ => {}
                }
            }
            // Template contents are not children: they are never visited.
            next = node.first;
            let mut cur = node;
            while next == NONE {
                if cur.next != NONE {
                    next = cur.next;
                } else if cur.parent != NONE && cur.parent != DOCUMENT {
                    cur = nodes[cur.parent as usize];
                } else {
                    break;
                }
            }
        }
        found
    }
}

impl Tree {
    fn intern(&mut self, name: QualName) -> u32 {
        if let Some(&id) = self.name_ids.get(&name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        self.name_ids.insert(name, id);
        id
    }

    fn push(&mut self, node: Node) -> Id {
        let id = self.nodes.len() as Id;
        self.nodes.push(node);
        id
    }

    fn get(&self, id: Id) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    /// Takes `id` out of its parent's children.
    fn detach(&mut self, id: Id) {
        let Some(&node) = self.get(id) else { return };
        if node.parent == NONE {
            return;
        }
        if node.prev != NONE {
            self.nodes[node.prev as usize].next = node.next;
        } else {
            self.nodes[node.parent as usize].first = node.next;
        }
        if node.next != NONE {
            self.nodes[node.next as usize].prev = node.prev;
        } else {
            self.nodes[node.parent as usize].last = node.prev;
        }
        let n = &mut self.nodes[id as usize];
        n.parent = NONE;
        n.prev = NONE;
        n.next = NONE;
    }

    /// Whether `child` may be moved: it exists and is neither the document nor the
    /// discarded node.
    fn movable(&self, child: Id) -> bool {
        child != DISCARDED && child != DOCUMENT && self.get(child).is_some()
    }

    /// Links the detached `child` into `parent`'s children between `prev` and `next`
    /// (either may be `NONE`: the first or last place).
    fn link(&mut self, child: Id, parent: Id, prev: Id, next: Id) {
        let c = &mut self.nodes[child as usize];
        c.parent = parent;
        c.prev = prev;
        c.next = next;
        if prev != NONE {
            self.nodes[prev as usize].next = child;
        } else {
            self.nodes[parent as usize].first = child;
        }
        if next != NONE {
            self.nodes[next as usize].prev = child;
        } else {
            self.nodes[parent as usize].last = child;
        }
    }

    /// Makes `child` the last child of `parent`.
    fn append(&mut self, parent: Id, child: Id) {
        if parent == DISCARDED || self.get(parent).is_none() || !self.movable(child) {
            return;
        }
        self.detach(child);
        let last = self.nodes[parent as usize].last;
        self.link(child, parent, last, NONE);
    }

    /// Puts `child` just before `sibling`, if `sibling` has a parent.
    fn insert_before(&mut self, sibling: Id, child: Id) {
        if child == sibling || self.get(sibling).is_none() || !self.movable(child) {
            return;
        }
        self.detach(child);
        let s = self.nodes[sibling as usize];
        if s.parent != NONE {
            self.link(child, s.parent, s.prev, sibling);
        }
    }
}

/// The value of the attribute `name` among `attrs`: the first non-namespaced one, as
/// scraper's scan finds.
fn attr_of<'a>(attrs: &'a [Attribute], name: &LocalName) -> Option<&'a StrTendril> {
    attrs
        .iter()
        .find(|a| a.name.local == *name)
        .map(|a| &a.value)
}

/// What an HTML element named `local` is to extraction, and the attributes to keep.
fn role_of(
    local: &LocalName,
    kinds: LinkKinds,
    attrs: &[Attribute],
) -> (Role, &'static [LinkAttr]) {
    const HREF: &[LinkAttr] = &[LinkAttr::Href];
    match *local {
        local_name!("a") if kinds.contains(LinkTag::A) => (Role::Link(LinkTag::A), HREF),
        local_name!("area") if kinds.contains(LinkTag::Area) => (Role::Link(LinkTag::Area), HREF),
        local_name!("base") => (Role::Base, HREF),
        _ if kinds.beyond_hyperlinks() => {
            match crate::extract::element_link(local, kinds, |n| {
                attrs
                    .iter()
                    .find(|a| &*a.name.local == n)
                    .map(|a| &*a.value)
            }) {
                Some((tag, names)) => (Role::Link(tag), names),
                None => (Role::Other, &[]),
            }
        }
        _ => (Role::Other, &[]),
    }
}

impl Tree {
    /// Keeps the values of `names` among `attrs` as node `id`'s.
    fn keep(&mut self, id: Id, names: &[LinkAttr], attrs: &[Attribute]) {
        let first = self.hrefs.len();
        for &name in names {
            if let Some(value) = attr_of(attrs, &name.local()) {
                self.hrefs.push((name, value.clone()));
            }
        }
        let count = self.hrefs.len() - first;
        if count > 0 {
            let node = &mut self.nodes[id as usize];
            node.href = first as u32;
            node.count = count as u8;
        }
    }
}

impl TreeSink for LeanSink {
    type Handle = Id;
    type Output = LeanSink;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> LeanSink {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Id {
        DOCUMENT
    }

    fn elem_name<'a>(&'a self, target: &Id) -> Ref<'a, QualName> {
        Ref::map(self.tree.borrow(), |tree| {
            let name = tree.get(*target).map_or(0, |n| n.name);
            &tree.names[name as usize]
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Id {
        self.elements.set(self.elements.get() + 1);
        let (role, names) = if name.ns == ns!(html) {
            role_of(&name.local, self.kinds, &attrs)
        } else {
            (Role::Other, &[][..])
        };
        let mut tree = self.tree.borrow_mut();
        let name = tree.intern(name);
        let mut node = Node::new(name, role);
        node.integration_point = flags.mathml_annotation_xml_integration_point;
        let id = tree.push(node);
        if !names.is_empty() {
            tree.keep(id, names, &attrs);
        }
        if flags.template {
            let contents = tree.push(Node::new(0, Role::Other));
            tree.templates.insert(id, contents);
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> Id {
        DISCARDED
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Id {
        DISCARDED
    }

    fn append(&self, parent: &Id, child: NodeOrText<Id>) {
        if let NodeOrText::AppendNode(child) = child {
            self.tree.borrow_mut().append(*parent, child);
        }
    }

    fn append_based_on_parent_node(&self, element: &Id, prev_element: &Id, child: NodeOrText<Id>) {
        let has_parent = self
            .tree
            .borrow()
            .get(*element)
            .is_some_and(|n| n.parent != NONE);
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Id) -> Id {
        self.tree
            .borrow()
            .templates
            .get(target)
            .copied()
            .unwrap_or(DISCARDED)
    }

    fn same_node(&self, x: &Id, y: &Id) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Id, new_node: NodeOrText<Id>) {
        if let NodeOrText::AppendNode(child) = new_node {
            self.tree.borrow_mut().insert_before(*sibling, child);
        }
    }

    fn add_attrs_if_missing(&self, target: &Id, attrs: Vec<Attribute>) {
        let mut tree = self.tree.borrow_mut();
        let Some(&node) = tree.get(*target) else {
            return;
        };
        // The tree builder adds attributes to `<html>` and `<body>` only, but a
        // link element gets the values it lacks as if it had them from the start.
        if let Role::Link(_) | Role::Base = node.role
            && node.href == NONE
        {
            let name = tree.names[node.name as usize].local.clone();
            let (_, names) = role_of(&name, self.kinds, &attrs);
            tree.keep(*target, names, &attrs);
        }
    }

    fn remove_from_parent(&self, target: &Id) {
        self.tree.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &Id, new_parent: &Id) {
        let mut tree = self.tree.borrow_mut();
        let Some(&from) = tree.get(*node) else { return };
        let mut child = from.first;
        while child != NONE {
            let next = tree.nodes[child as usize].next;
            tree.append(*new_parent, child);
            child = next;
        }
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Id) -> bool {
        self.tree
            .borrow()
            .get(*handle)
            .is_some_and(|n| n.integration_point)
    }
}
