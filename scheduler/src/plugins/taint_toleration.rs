//! TaintToleration (not written yet: being implemented).

use crate::framework::Plugin;
use crate::plugins::FactoryContext;
use std::sync::Arc;

pub const NAME: &str = "TaintToleration";

pub struct TaintToleration;

pub fn new(
    _args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(TaintToleration))
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
}
