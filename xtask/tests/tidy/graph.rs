//! The dependency graph as `cargo metadata` tells it, and what one crate
//! really pulls in: the packages it reaches over normal and build edges
//! (plus its own dev edges when asked, as `cargo test -p` builds), with the
//! features each is built with, resolved from that crate alone rather than
//! from the workspace-wide union, which would blame chat-proto for the
//! tokio features chatd turns on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A package id as cargo metadata spells it.
pub type Id = String;

/// What cargo metadata says about the workspace.
pub struct Graph {
    packages: HashMap<Id, Package>,
    /// Workspace members.
    pub members: Vec<Id>,
}

struct Package {
    name: String,
    manifest_dir: PathBuf,
    features: BTreeMap<String, Vec<String>>,
    declared: Vec<Declared>,
    /// The resolved dependencies: (extern name, id, kinds).
    resolved: Vec<(String, Id, Vec<Kind>)>,
}

/// A dependency as the manifest declares it.
struct Declared {
    /// The key in `[dependencies]`: the rename, or the package name.
    key: String,
    kind: Kind,
    optional: bool,
    default_features: bool,
    features: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Build,
    Dev,
}

impl Kind {
    fn parse(v: &Value) -> Kind {
        match v.as_str() {
            Some("dev") => Kind::Dev,
            Some("build") => Kind::Build,
            _ => Kind::Normal,
        }
    }
}

/// What a crate pulls in: each package reached, with its features and the
/// package it was first reached from.
pub struct Closure {
    /// Package id -> features it is built with.
    pub features: BTreeMap<Id, BTreeSet<String>>,
    parent: HashMap<Id, Id>,
}

impl Graph {
    /// Runs `cargo metadata --all-features` in `root` (every optional
    /// dependency of a member is in its resolve graph, so per-crate
    /// resolution below can find any of them).
    pub fn load(root: &Path) -> Graph {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--all-features"])
            .current_dir(root)
            .output()
            .expect("cannot run cargo metadata");
        assert!(
            out.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
        Self::from_metadata(&v)
    }

    fn from_metadata(v: &Value) -> Graph {
        let mut packages = HashMap::new();
        for p in v["packages"].as_array().expect("packages") {
            let declared = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .map(|d| Declared {
                    key: d["rename"]
                        .as_str()
                        .or(d["name"].as_str())
                        .unwrap_or_default()
                        .to_string(),
                    kind: Kind::parse(&d["kind"]),
                    optional: d["optional"] == true,
                    default_features: d["uses_default_features"] != false,
                    features: strings(&d["features"]),
                })
                .collect();
            let features = p["features"]
                .as_object()
                .map(|f| f.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
                .unwrap_or_default();
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
            packages.insert(
                p["id"].as_str().expect("id").to_string(),
                Package {
                    name: p["name"].as_str().expect("name").to_string(),
                    manifest_dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
                    features,
                    declared,
                    resolved: Vec::new(),
                },
            );
        }
        for node in v["resolve"]["nodes"].as_array().expect("resolve nodes") {
            let id = node["id"].as_str().expect("node id");
            let deps = node["deps"]
                .as_array()
                .expect("node deps")
                .iter()
                .map(|d| {
                    let kinds = d["dep_kinds"]
                        .as_array()
                        .map(|ks| ks.iter().map(|k| Kind::parse(&k["kind"])).collect())
                        .unwrap_or_default();
                    (
                        d["name"].as_str().unwrap_or_default().to_string(),
                        d["pkg"].as_str().unwrap_or_default().to_string(),
                        kinds,
                    )
                })
                .collect();
            if let Some(p) = packages.get_mut(id) {
                p.resolved = deps;
            }
        }
        let members = strings(&v["workspace_members"]);
        Graph { packages, members }
    }

    /// The package's name.
    pub fn name(&self, id: &str) -> &str {
        &self.packages[id].name
    }

    /// The directory of its Cargo.toml.
    pub fn manifest_dir(&self, id: &str) -> &Path {
        &self.packages[id].manifest_dir
    }

    /// The member named `name`.
    pub fn member(&self, name: &str) -> Id {
        self.members
            .iter()
            .find(|id| self.name(id) == name)
            .unwrap_or_else(|| panic!("no workspace member named {name}"))
            .clone()
    }

    /// Whether `id` is a workspace member.
    pub fn is_member(&self, id: &str) -> bool {
        self.members.iter().any(|m| m == id)
    }

    /// What `root` pulls in when built with every feature of its own, over
    /// normal and build edges, plus its own dev edges if `with_dev`. The
    /// dependencies of packages named in `stop_at` are not followed.
    pub fn closure(&self, root: &str, with_dev: bool, stop_at: &[&str]) -> Closure {
        let mut r = Resolver {
            graph: self,
            root: root.to_string(),
            with_dev,
            stop_at,
            closure: Closure {
                features: BTreeMap::new(),
                parent: HashMap::new(),
            },
            enabled: BTreeSet::new(),
            weak: Vec::new(),
        };
        r.reach(root, None);
        let all: Vec<String> = self.packages[root].features.keys().cloned().collect();
        for f in all {
            r.feature(root, &f);
        }
        // `dep?/feature` applies once the dependency is on; enabling it may
        // enable more: repeat until nothing changes.
        loop {
            let before = r
                .closure
                .features
                .values()
                .map(BTreeSet::len)
                .sum::<usize>();
            let pending = std::mem::take(&mut r.weak);
            for (id, key, feature) in &pending {
                if r.enabled.iter().any(|(p, k)| p == id && k == key) {
                    r.dep_feature(id, key, feature);
                } else {
                    r.weak.push((id.clone(), key.clone(), feature.clone()));
                }
            }
            let after = r
                .closure
                .features
                .values()
                .map(BTreeSet::len)
                .sum::<usize>();
            if after == before {
                break;
            }
        }
        r.closure
    }
}

impl Closure {
    /// The ids reached, `root` included.
    pub fn ids(&self) -> impl Iterator<Item = &Id> {
        self.features.keys()
    }

    /// The features `id` is built with, if it is reached.
    pub fn features_of(&self, id: &str) -> Option<&BTreeSet<String>> {
        self.features.get(id)
    }

    /// How `id` is reached: "a -> b -> c".
    pub fn path_to(&self, graph: &Graph, id: &str) -> String {
        let mut names = vec![graph.name(id).to_string()];
        let mut at = id;
        while let Some(parent) = self.parent.get(at) {
            names.push(graph.name(parent).to_string());
            at = parent;
        }
        names.reverse();
        names.join(" -> ")
    }
}

/// Feature resolution for one root, cargo's rules in small: a feature
/// turns on others (`f`), optional dependencies (`dep:x`, or `x` for the
/// implicit feature) and features of dependencies (`x/f`, or `x?/f` only
/// if `x` is on anyway); a dependency brings its default features unless
/// it says `default-features = false`.
struct Resolver<'g> {
    graph: &'g Graph,
    root: Id,
    with_dev: bool,
    stop_at: &'g [&'g str],
    closure: Closure,
    /// (package, dependency key) pairs that are on.
    enabled: BTreeSet<(Id, String)>,
    weak: Vec<(Id, String, String)>,
}

impl Resolver<'_> {
    fn follows(&self, id: &str, kind: Kind) -> bool {
        kind != Kind::Dev || (self.with_dev && id == self.root)
    }

    /// Reaches a package: its non-optional dependencies come along.
    fn reach(&mut self, id: &str, parent: Option<&str>) {
        if self.closure.features.contains_key(id) {
            return;
        }
        self.closure
            .features
            .insert(id.to_string(), BTreeSet::new());
        if let Some(parent) = parent {
            self.closure
                .parent
                .insert(id.to_string(), parent.to_string());
        }
        if self.stop_at.contains(&self.graph.name(id)) {
            return;
        }
        let keys: Vec<String> = self.graph.packages[id]
            .declared
            .iter()
            .filter(|d| !d.optional && self.follows(id, d.kind))
            .map(|d| d.key.clone())
            .collect();
        for key in keys {
            self.enable(id, &key);
        }
    }

    /// Turns on the dependency `key` of `id` (every declaration of it the
    /// walk follows), with the features the declaration asks for.
    fn enable(&mut self, id: &str, key: &str) {
        if self.stop_at.contains(&self.graph.name(id))
            || !self.enabled.insert((id.to_string(), key.to_string()))
        {
            return;
        }
        let graph = self.graph;
        let package = &graph.packages[id];
        let wanted: Vec<(Id, bool, Vec<String>)> = package
            .declared
            .iter()
            .filter(|d| d.key == key && self.follows(id, d.kind))
            .filter_map(|d| {
                let target = self.target(id, key, d.kind)?;
                Some((target, d.default_features, d.features.clone()))
            })
            .collect();
        for (target, default, features) in wanted {
            self.reach(&target, Some(id));
            if default
                && self.graph.packages[&target]
                    .features
                    .contains_key("default")
            {
                self.feature(&target, "default");
            }
            for f in features {
                self.feature(&target, &f);
            }
        }
    }

    /// The resolved package of dependency `key` of `id` with this kind.
    fn target(&self, id: &str, key: &str, kind: Kind) -> Option<Id> {
        let extern_name = key.replace('-', "_");
        self.graph.packages[id]
            .resolved
            .iter()
            .find(|(name, _, kinds)| *name == extern_name && kinds.contains(&kind))
            .map(|(_, target, _)| target.clone())
    }

    /// Turns on feature `f` of `id`.
    fn feature(&mut self, id: &str, f: &str) {
        if self.stop_at.contains(&self.graph.name(id)) && id != self.root {
            return;
        }
        let Some(on) = self.closure.features.get_mut(id) else {
            return;
        };
        if !on.insert(f.to_string()) {
            return;
        }
        let graph = self.graph;
        let package = &graph.packages[id];
        let Some(entries) = package.features.get(f).cloned() else {
            // The implicit feature of an optional dependency.
            if package.declared.iter().any(|d| d.key == f && d.optional) {
                self.enable(id, f);
            }
            return;
        };
        for entry in entries {
            if let Some(key) = entry.strip_prefix("dep:") {
                self.enable(id, key);
            } else if let Some((key, feature)) = entry.split_once('/') {
                match key.strip_suffix('?') {
                    Some(key) => {
                        self.weak
                            .push((id.to_string(), key.to_string(), feature.to_string()));
                    }
                    None => {
                        self.enable(id, key);
                        self.dep_feature(id, key, feature);
                    }
                }
            } else {
                self.feature(id, &entry);
            }
        }
    }

    /// Turns on `feature` in the dependency `key` of `id`.
    fn dep_feature(&mut self, id: &str, key: &str, feature: &str) {
        let targets: Vec<Id> = [Kind::Normal, Kind::Build, Kind::Dev]
            .into_iter()
            .filter(|&k| self.follows(id, k))
            .filter_map(|k| self.target(id, key, k))
            .collect();
        for target in targets {
            if self.closure.features.contains_key(&target) {
                self.feature(&target, feature);
            }
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
