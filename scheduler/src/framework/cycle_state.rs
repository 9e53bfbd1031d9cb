//! `CycleState`: a scratch pad that lives for one scheduling cycle of one pod.
//!
//! PreFilter computes something once per pod (the pod's total requests, the topology counts of
//! matching pods) and Filter, called once per node, reads it. The pad is keyed by a string (by
//! convention `"PreFilter" + plugin name`) and holds any type. Preemption clones the whole pad to
//! try "what if these pods were gone" without disturbing the real cycle, so every value must be
//! cloneable.
//! Upstream: `pkg/scheduler/framework/cycle_state.go`.

use std::any::Any;
use std::collections::HashMap;

/// A value a plugin keeps in the [`CycleState`]. Any `Clone + Send + Sync` type is one.
pub trait StateData: Any + Send + Sync {
    fn clone_box(&self) -> Box<dyn StateData>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone + Send + Sync> StateData for T {
    fn clone_box(&self) -> Box<dyn StateData> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Per-cycle storage shared by the plugins of one profile.
#[derive(Default)]
pub struct CycleState {
    data: HashMap<String, Box<dyn StateData>>,
    /// Plugins whose PreFilter returned Skip: their Filter is not called in this cycle.
    pub skip_filter_plugins: Vec<&'static str>,
    /// Plugins whose PreScore returned Skip: their Score is not called in this cycle.
    pub skip_score_plugins: Vec<&'static str>,
}

impl Clone for CycleState {
    fn clone(&self) -> Self {
        CycleState {
            data: self
                .data
                .iter()
                .map(|(k, v)| (k.clone(), v.as_ref().clone_box()))
                .collect(),
            skip_filter_plugins: self.skip_filter_plugins.clone(),
            skip_score_plugins: self.skip_score_plugins.clone(),
        }
    }
}

impl CycleState {
    pub fn new() -> CycleState {
        CycleState::default()
    }

    /// Store `value` under `key`, replacing what was there.
    pub fn write<T: StateData>(&mut self, key: &str, value: T) {
        self.data.insert(key.to_string(), Box::new(value));
    }

    /// The value under `key`, if there is one of type `T`.
    pub fn read<T: 'static>(&self, key: &str) -> Option<&T> {
        self.data.get(key)?.as_ref().as_any().downcast_ref::<T>()
    }

    /// The value under `key` for changing in place (PreFilter extensions do this).
    pub fn read_mut<T: 'static>(&mut self, key: &str) -> Option<&mut T> {
        self.data
            .get_mut(key)?
            .as_mut()
            .as_any_mut()
            .downcast_mut::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Counts(Vec<u32>);

    #[test]
    fn a_value_written_can_be_read_back_with_its_type() {
        let mut state = CycleState::new();
        state.write("PreFilterX", Counts(vec![1, 2]));
        assert_eq!(
            state.read::<Counts>("PreFilterX"),
            Some(&Counts(vec![1, 2]))
        );
        assert_eq!(
            state.read::<u32>("PreFilterX"),
            None,
            "wrong type reads None"
        );
        assert_eq!(state.read::<Counts>("other"), None);
    }

    #[test]
    fn a_clone_is_independent_of_the_original() {
        let mut state = CycleState::new();
        state.write("k", Counts(vec![1]));
        let mut copy = state.clone();
        copy.read_mut::<Counts>("k").unwrap().0.push(2);
        assert_eq!(state.read::<Counts>("k"), Some(&Counts(vec![1])));
        assert_eq!(copy.read::<Counts>("k"), Some(&Counts(vec![1, 2])));
    }
}
