//! Service activation: `OpenOssService` (product OssAdmin, 2019-04-22, host
//! `oss-admin.aliyuncs.com`) and `OpenNASService` (NAS 2017-06-26, `nas.<region>.aliyuncs.com`).
//! Both are RPC calls without parameters. An account where the service is already active gets the
//! service error code [`ALREADY_ACTIVE`] (`ORDER.OPEND`), which callers treat as success.
//!
//! Hosts, versions and the `ORDER.OPEND` code as in the official SDK metadata
//! (`OssAdmin` `api-docs`, `nas20170626` client) and terraform-provider-alicloud's
//! `alicloud_oss_service` / `alicloud_nas_service` data sources.

use serde::{Deserialize, Serialize};

use super::{ApiRequest, Operation, Params};
use crate::client::Product;

/// The error code of "this service is already activated for the account".
pub const ALREADY_ACTIVE: &str = "ORDER.OPEND";

/// `OpenOssService` (OssAdmin 2019-04-22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOssService;

/// `OpenNASService` (NAS 2017-06-26).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenNasService;

/// The response of both activation calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpenServiceResponse {
    /// `OrderId` of the activation order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl ApiRequest for OpenOssService {
    type Output = OpenServiceResponse;
    const PRODUCT: Product = Product::OssAdmin;
    const VERSION: &'static str = "2019-04-22";
    const ACTION: &'static str = "OpenOssService";

    fn operation(&self) -> Result<Operation, String> {
        Ok(Params::new().rpc())
    }
}

impl ApiRequest for OpenNasService {
    type Output = OpenServiceResponse;
    const PRODUCT: Product = Product::Nas;
    const VERSION: &'static str = "2017-06-26";
    const ACTION: &'static str = "OpenNASService";

    fn operation(&self) -> Result<Operation, String> {
        Ok(Params::new().rpc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_sample() -> Result<(), serde_json::Error> {
        let r: OpenServiceResponse = serde_json::from_str(
            r#"{"RequestId":"427DB0B3-9436-4A3C-B2BC-B961F95E****","OrderId":"20671870151****"}"#,
        )?;
        assert_eq!(r.order_id.as_deref(), Some("20671870151****"));
        Ok(())
    }
}
