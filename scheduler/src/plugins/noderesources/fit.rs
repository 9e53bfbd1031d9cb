//! NodeResourcesFit (not written yet: being implemented).

use crate::framework::Plugin;
use crate::plugins::FactoryContext;
use std::sync::Arc;

pub const NAME: &str = "NodeResourcesFit";

pub struct NodeResourcesFit;

pub fn new(
    _args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NodeResourcesFit))
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }
}
