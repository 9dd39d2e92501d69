//! Event-sourced folds: an aggregate's `apply` rules, compiled once, and the per-key states
//! they fold. One module for the simulator (a handler's `fetch` reads the write side) and
//! the analysis (write side, snapshots, read models, rebuilds), so both fold alike.
//!
//! A state is a row of [`Cell`]s, one per field the aggregate names (its `initial` fields,
//! then the fields its rules write, in file order). A cell is a small value: numbers and
//! booleans inline, strings and other JSON shared behind an `Arc`, so copying a state (a
//! snapshot, a clone of the analysis) costs no allocation per field.
//!
//! Operations, as the format describes them: `add` / `sub` a number read at a `data.` path,
//! `set` a value read at a `data.` path (any other value is a literal), `inc` by a number.
//! Where the format is silent: a path absent from the event's data (or, for `add` and
//! `sub`, not holding a number) changes nothing; `add`, `sub` and `inc` on a field that is
//! absent or null start from 0, and leave a field holding something other than a number
//! as it is. Integers stay integers while they fit in an `i64`; any float makes a float.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Number, Value};

use crate::intern::{Strings, Sym};
use crate::scenario::operation::Operation;
use crate::scenario::template::walk;

/// One field's value.
#[derive(Clone, Debug, Default)]
pub enum Cell {
    /// Not set: the field is left out of the state object.
    #[default]
    Absent,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    /// Arrays and objects.
    Other(Arc<Value>),
}

impl Cell {
    pub fn from_value(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => number_cell(n),
            Value::String(s) => Cell::Str(Arc::from(s.as_str())),
            other => Cell::Other(Arc::new(other.clone())),
        }
    }

    /// The JSON value (`None` for an absent field).
    pub fn to_value(&self) -> Option<Value> {
        Some(match self {
            Cell::Absent => return None,
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Int(i) => Value::from(*i),
            Cell::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Cell::Str(s) => Value::String(s.to_string()),
            Cell::Other(v) => (**v).clone(),
        })
    }

    fn number(&self) -> Option<Num> {
        match self {
            Cell::Int(i) => Some(Num::Int(*i)),
            Cell::Float(f) => Some(Num::Float(*f)),
            _ => None,
        }
    }

    /// Equality as the format compares values: numbers by value (`120` equals `120.0`).
    #[allow(clippy::float_cmp, reason = "values compare exactly, as the format says")]
    pub fn same(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Absent, Cell::Absent) | (Cell::Null, Cell::Null) => true,
            (Cell::Bool(a), Cell::Bool(b)) => a == b,
            (Cell::Str(a), Cell::Str(b)) => a == b,
            (Cell::Other(a), Cell::Other(b)) => crate::json::json_equal(a, b),
            (a, b) => match (a.number(), b.number()) {
                (Some(Num::Int(x)), Some(Num::Int(y))) => x == y,
                (Some(x), Some(y)) => x.as_f64() == y.as_f64(),
                _ => false,
            },
        }
    }
}

fn number_cell(n: &Number) -> Cell {
    match n.as_i64() {
        Some(i) => Cell::Int(i),
        None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// A number: an integer while it fits, else a float.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn of(value: &Value) -> Option<Num> {
        let n = value.as_number()?;
        Some(match n.as_i64() {
            Some(i) => Num::Int(i),
            None => Num::Float(n.as_f64()?),
        })
    }

    fn add(self, other: Num) -> Cell {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.checked_add(b).map_or(Cell::Float(a as f64 + b as f64), Cell::Int),
            (a, b) => Cell::Float(a.as_f64() + b.as_f64()),
        }
    }

    fn neg(self) -> Num {
        match self {
            Num::Int(i) => i.checked_neg().map_or(Num::Float(-(i as f64)), Num::Int),
            Num::Float(f) => Num::Float(-f),
        }
    }
}

/// One field operation, compiled.
#[derive(Clone, Debug)]
pub enum Op {
    Add(Vec<String>),
    Sub(Vec<String>),
    SetPath(Vec<String>),
    SetLiteral(Cell),
    Inc(Num),
}

impl Op {
    /// The operation as the fold runs it.
    pub fn compile(op: &Operation) -> Op {
        match op {
            Operation::Add(path) => Op::Add(path.clone()),
            Operation::Sub(path) => Op::Sub(path.clone()),
            Operation::SetPath(path) => Op::SetPath(path.clone()),
            Operation::SetLiteral(value) => Op::SetLiteral(Cell::from_value(value)),
            Operation::Inc(n) => {
                Op::Inc(Num::of(&Value::Number(n.clone())).expect("a JSON number is an i64 or an f64"))
            }
        }
    }

    fn reads_data(&self) -> bool {
        matches!(self, Op::Add(_) | Op::Sub(_) | Op::SetPath(_))
    }

    /// Applies the operation to one field.
    fn apply(&self, cell: &mut Cell, data: &Value) {
        let start = |cell: &Cell| match cell {
            Cell::Absent | Cell::Null => Some(Num::Int(0)),
            other => other.number(),
        };
        match self {
            Op::Add(path) | Op::Sub(path) => {
                let (Some(amount), Some(current)) = (walk(data, path).and_then(Num::of), start(cell)) else { return };
                let amount = if matches!(self, Op::Sub(_)) { amount.neg() } else { amount };
                *cell = current.add(amount);
            }
            Op::Inc(by) => {
                if let Some(current) = start(cell) {
                    *cell = current.add(*by);
                }
            }
            Op::SetPath(path) => {
                if let Some(value) = walk(data, path) {
                    *cell = Cell::from_value(value);
                }
            }
            Op::SetLiteral(value) => *cell = value.clone(),
        }
    }
}

/// An aggregate's rules, compiled: its fields, their initial values, and per event type
/// the operations to apply.
#[derive(Clone, Debug)]
pub struct Rules {
    pub fields: Vec<String>,
    pub initial: Vec<Cell>,
    /// Event type symbol index → index in `appliers` (`None`: not applied).
    by_type: Vec<Option<u32>>,
    appliers: Vec<Vec<(usize, Op)>>,
    /// Whether any operation of each applier reads the event's data.
    reads_data: Vec<bool>,
}

impl Rules {
    /// Compiles an aggregate's `initial` and `apply`; event types are interned in `strings`.
    /// An operation [`Operation::parse`] refuses (which validation reports first) is an
    /// error naming it: `TYPE.FIELD: why`.
    pub fn compile(
        initial: &IndexMap<String, Value>,
        apply: &IndexMap<String, IndexMap<String, Value>>,
        strings: &mut Strings,
    ) -> Result<Rules, String> {
        let mut fields: Vec<String> = initial.keys().cloned().collect();
        let mut cells: Vec<Cell> = initial.values().map(Cell::from_value).collect();
        let mut typed = Vec::new();
        for (ty, ops) in apply {
            let mut applier = Vec::new();
            for (field, op) in ops {
                let index = fields.iter().position(|f| f == field).unwrap_or_else(|| {
                    fields.push(field.clone());
                    cells.push(Cell::Absent);
                    fields.len() - 1
                });
                let op = Operation::parse(op).map_err(|e| format!("{ty}.{field}: {e}"))?;
                applier.push((index, Op::compile(&op)));
            }
            typed.push((strings.intern(ty), applier));
        }
        let mut by_type = vec![None; strings.len()];
        let mut appliers = Vec::new();
        let mut reads_data = Vec::new();
        for (sym, applier) in typed {
            by_type[sym.index()] = Some(appliers.len() as u32);
            reads_data.push(applier.iter().any(|(_, op)| op.reads_data()));
            appliers.push(applier);
        }
        Ok(Rules { fields, initial: cells, by_type, appliers, reads_data })
    }

    /// The applier index for an event type, if the aggregate applies it.
    pub fn applier(&self, event_type: Sym) -> Option<usize> {
        self.by_type.get(event_type.index()).copied().flatten().map(|a| a as usize)
    }

    pub fn applies(&self, event_type: Sym) -> bool {
        self.applier(event_type).is_some()
    }

    /// Whether applying this type reads the event's data (else `data` may be `Null`).
    pub fn reads_data(&self, event_type: Sym) -> bool {
        self.applier(event_type).is_some_and(|a| self.reads_data[a])
    }

    /// Applies one event to a state row; returns whether the type is applied at all.
    pub fn apply(&self, row: &mut [Cell], event_type: Sym, data: &Value) -> bool {
        let Some(a) = self.applier(event_type) else { return false };
        for (field, op) in &self.appliers[a] {
            op.apply(&mut row[*field], data);
        }
        true
    }

    /// A state row as the format's JSON object (absent fields left out).
    pub fn to_json(&self, row: &[Cell]) -> Value {
        let map: Map<String, Value> =
            self.fields.iter().zip(row).filter_map(|(f, c)| c.to_value().map(|v| (f.clone(), v))).collect();
        Value::Object(map)
    }

    /// The field's index, by name.
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    /// Folds events (type, data) from `start`: the state after each.
    pub fn fold<'d>(&self, start: &[Cell], events: impl IntoIterator<Item = (Sym, &'d Value)>) -> Vec<Cell> {
        let mut row = start.to_vec();
        for (ty, data) in events {
            self.apply(&mut row, ty, data);
        }
        row
    }
}

/// Whether two rows hold the same state.
pub fn same_row(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
}

/// Per-key states of one aggregate: rows in one flat vector, so a clone is a handful of
/// allocations whatever the number of keys.
#[derive(Clone, Debug, Default)]
pub struct Store {
    width: usize,
    /// Key symbol index → slot + 1 (0: no state yet).
    slot_of: Vec<u32>,
    keys: Vec<Sym>,
    cells: Vec<Cell>,
    versions: Vec<u32>,
}

impl Store {
    pub fn new(rules: &Rules) -> Self {
        Store { width: rules.fields.len(), ..Store::default() }
    }

    pub fn slot(&self, key: Sym) -> Option<usize> {
        self.slot_of.get(key.index()).filter(|&&s| s != 0).map(|&s| s as usize - 1)
    }

    /// The key's slot, made with the initial state if new.
    pub fn slot_or_insert(&mut self, rules: &Rules, key: Sym) -> usize {
        if let Some(slot) = self.slot(key) {
            return slot;
        }
        if self.slot_of.len() <= key.index() {
            self.slot_of.resize(key.index() + 1, 0);
        }
        let slot = self.keys.len();
        self.slot_of[key.index()] = slot as u32 + 1;
        self.keys.push(key);
        self.cells.extend_from_slice(&rules.initial);
        self.versions.push(0);
        slot
    }

    /// Applies an event to the key's state (made if new); returns the new version, or
    /// `None` when the aggregate does not apply this type (no state is made then).
    pub fn apply(&mut self, rules: &Rules, key: Sym, event_type: Sym, data: &Value) -> Option<u32> {
        rules.applier(event_type)?;
        let slot = self.slot_or_insert(rules, key);
        rules.apply(self.row_mut(slot), event_type, data);
        self.versions[slot] += 1;
        Some(self.versions[slot])
    }

    pub fn row(&self, slot: usize) -> &[Cell] {
        &self.cells[slot * self.width..(slot + 1) * self.width]
    }

    pub fn row_mut(&mut self, slot: usize) -> &mut [Cell] {
        &mut self.cells[slot * self.width..(slot + 1) * self.width]
    }

    pub fn version(&self, slot: usize) -> u32 {
        self.versions[slot]
    }

    pub fn set_version(&mut self, slot: usize, version: u32) {
        self.versions[slot] = version;
    }

    /// Keys in the order their state was made.
    pub fn keys(&self) -> &[Sym] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Heap bytes held, about (shared strings counted where they are made, not here).
    pub fn heap_bytes(&self) -> usize {
        (self.slot_of.capacity()) * 4
            + self.keys.capacity() * std::mem::size_of::<Sym>()
            + self.cells.capacity() * std::mem::size_of::<Cell>()
            + self.versions.capacity() * 4
    }

    /// The key's state as JSON, and its version.
    pub fn state(&self, rules: &Rules, key: Sym) -> Option<(Value, u32)> {
        let slot = self.slot(key)?;
        Some((rules.to_json(self.row(slot)), self.version(slot)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bank(strings: &mut Strings) -> Rules {
        let initial: IndexMap<String, Value> = serde_json::from_value(json!({"balance": 0})).unwrap();
        let apply: IndexMap<String, IndexMap<String, Value>> = serde_json::from_value(json!({
            "AccountCreated": {"owner": {"set": "data.owner"}, "status": {"set": "open"}},
            "MoneyDeposited": {"balance": {"add": "data.amount"}, "deposits": {"inc": 1}},
            "MoneyWithdrawn": {"balance": {"sub": "data.amount"}}
        }))
        .unwrap();
        Rules::compile(&initial, &apply, strings).expect("valid rules")
    }

    #[test]
    fn the_bank_account_folds_to_120_at_version_4() {
        let mut strings = Strings::default();
        let rules = bank(&mut strings);
        let key = strings.intern("123");
        let ty = |s: &str, strings: &mut Strings| strings.intern(s);
        let events = [
            (ty("AccountCreated", &mut strings), json!({"owner": "John"})),
            (ty("MoneyDeposited", &mut strings), json!({"amount": 100})),
            (ty("MoneyWithdrawn", &mut strings), json!({"amount": 30})),
            (ty("Ignored", &mut strings), json!({"amount": 1000})),
            (ty("MoneyDeposited", &mut strings), json!({"amount": 50})),
        ];
        let mut store = Store::new(&rules);
        for (t, data) in &events {
            store.apply(&rules, key, *t, data);
        }
        let (state, version) = store.state(&rules, key).unwrap();
        assert_eq!(state, json!({"balance": 120, "owner": "John", "status": "open", "deposits": 2}));
        assert_eq!(version, 4);
        let folded = rules.fold(&rules.initial, events.iter().map(|(t, d)| (*t, d)));
        assert!(same_row(&folded, store.row(0)));
    }

    #[test]
    fn silent_cases() {
        let mut strings = Strings::default();
        let rules = bank(&mut strings);
        let deposit = strings.intern("MoneyDeposited");
        let mut row = rules.initial.clone();
        // No amount, or not a number: nothing changes (but the event is applied).
        assert!(rules.apply(&mut row, deposit, &json!({"amount": "ten"})));
        assert!(rules.apply(&mut row, deposit, &Value::Null));
        assert_eq!(rules.to_json(&row), json!({"balance": 0, "deposits": 2}));
        rules.apply(&mut row, deposit, &json!({"amount": 0.5}));
        assert_eq!(rules.to_json(&row), json!({"balance": 0.5, "deposits": 3}));
        assert!(Cell::Int(120).same(&Cell::Float(120.0)));
        assert!(!Cell::Int(120).same(&Cell::Str(Arc::from("120"))));
        let mut big = [Cell::Int(i64::MAX)];
        Op::Inc(Num::Int(1)).apply(&mut big[0], &Value::Null);
        assert!(matches!(big[0], Cell::Float(_)));
    }
}
