//! NodeAffinity (not written yet: being implemented).

use crate::framework::Plugin;
use crate::plugins::FactoryContext;
use std::sync::Arc;

pub const NAME: &str = "NodeAffinity";

pub struct NodeAffinity;

pub fn new(
    _args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NodeAffinity))
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}
