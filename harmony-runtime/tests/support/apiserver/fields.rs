//! Field paths and field sets, as server-side apply tracks ownership.
//!
//! A field path is the list of object keys down to a leaf. Objects recurse; lists and scalars
//! are leaves (every list is treated as atomic, the `x-kubernetes-list-type: atomic` rule; real
//! API servers key some lists by `name`, which only makes ownership finer, never coarser, for
//! the objects Harmony writes).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

pub type Path = Vec<String>;
pub type FieldSet = BTreeSet<Path>;

/// The leaf paths of `value` (an empty object is a leaf itself).
pub fn leaves(value: &Value) -> FieldSet {
    fn walk(prefix: &mut Path, value: &Value, out: &mut FieldSet) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    prefix.push(k.clone());
                    walk(prefix, v, out);
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    walk(&mut Vec::new(), value, &mut out);
    out
}

/// The value at `path`, if any.
pub fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

/// Sets `path` to `leaf`, creating objects on the way (replacing non-objects).
pub fn set(value: &mut Value, path: &[String], leaf: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut here = value;
    for key in parents {
        if !here.is_object() {
            *here = Value::Object(Map::new());
        }
        here = here
            .as_object_mut()
            .expect("just made an object")
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !here.is_object() {
        *here = Value::Object(Map::new());
    }
    here.as_object_mut()
        .expect("just made an object")
        .insert(last.clone(), leaf);
}

/// Removes `path`, then every parent object it leaves empty.
pub fn remove(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut here = &mut *value;
    for key in parents {
        match here.get_mut(key) {
            Some(next) => here = next,
            None => return,
        }
    }
    if let Some(map) = here.as_object_mut() {
        map.remove(last);
        if map.is_empty() && !parents.is_empty() {
            remove(value, parents);
        }
    }
}

/// `.spec.replicas`, as API servers name fields in conflict messages.
pub fn dotted(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

/// The `fieldsV1` form of a field set: `{"f:spec":{"f:replicas":{}}}`.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Value::Object(Map::new());
    for path in set {
        let keys: Path = path.iter().map(|k| format!("f:{k}")).collect();
        set_leaf_object(&mut root, &keys);
    }
    root
}

fn set_leaf_object(root: &mut Value, keys: &[String]) {
    let mut here = root;
    for key in keys {
        here = here
            .as_object_mut()
            .expect("fieldsV1 nodes are objects")
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
