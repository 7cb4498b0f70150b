//! Where each product's API lives.
//!
//! Hosts (reference §4, plus the activation APIs as the official SDK metadata lists them):
//! RAM `ram.aliyuncs.com` (global), STS `sts.aliyuncs.com` / `sts.<region>.aliyuncs.com` /
//! `sts-vpc.<region>.aliyuncs.com`, ResourceManager `resourcemanager.aliyuncs.com` (central),
//! AIWorkspace `aiworkspace.<region>.aliyuncs.com`, OSS activation (product OssAdmin, 2019-04-22)
//! `oss-admin.aliyuncs.com` (its only endpoint, region "public"), NAS `nas.<region>.aliyuncs.com`.
//!
//! Plain `http://` is accepted only by [`Endpoints::single`] (`DLCAUTH_ENDPOINT`, for emulators on
//! loopback): anywhere else it would send signatures and security tokens in clear.

use std::fmt;

use crate::Error;

/// An Alibaba Cloud product, i.e. one API host and version family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Product {
    /// Security Token Service, RPC, 2015-04-01.
    Sts,
    /// Resource Access Management, RPC, 2015-05-01.
    Ram,
    /// Resource Manager, RPC, 2020-03-31.
    ResourceManager,
    /// PAI AIWorkspace, ROA, 2021-02-04.
    AiWorkspace,
    /// OSS service activation (`OpenOssService`), RPC, 2019-04-22.
    OssAdmin,
    /// NAS, RPC, 2017-06-26 (only `OpenNASService` is used).
    Nas,
}

impl Product {
    /// The product code, as in error messages and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sts => "Sts",
            Self::Ram => "Ram",
            Self::ResourceManager => "ResourceManager",
            Self::AiWorkspace => "AIWorkSpace",
            Self::OssAdmin => "OssAdmin",
            Self::Nas => "NAS",
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which STS host [`Endpoints::aliyun`] uses (the credentials library's selection: global unless
/// `ALIBABA_CLOUD_STS_REGION` is set, VPC with `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StsEndpoint {
    /// `sts.aliyuncs.com`.
    #[default]
    Global,
    /// `sts.<region>.aliyuncs.com`.
    Regional(String),
    /// `sts-vpc.<region>.aliyuncs.com` (from inside a VPC).
    Vpc(String),
}

/// A scheme, host and port, without path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    https: bool,
    host: String,
    port: Option<u16>,
}

impl BaseUrl {
    fn https_host(host: String) -> Self {
        Self {
            https: true,
            host,
            port: None,
        }
    }

    fn parse(url: &str, allow_http: bool) -> Result<Self, Error> {
        // Errors quote the URL so the user can find the typo, except a URL with userinfo, whose
        // password would end up on stderr and in logs.
        let shown = if url.contains('@') {
            "(with user info, not shown)".to_owned()
        } else {
            format!("{url:?}")
        };
        let bad = |why: &str| Error::Config(format!("endpoint {shown}: {why}"));
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        let https = match parsed.scheme() {
            "https" => true,
            "http" if allow_http => false,
            "http" => {
                return Err(bad(
                    "plain http:// is only allowed for the single test endpoint (DLCAUTH_ENDPOINT)",
                ));
            }
            other => return Err(bad(&format!("unsupported scheme {other:?}"))),
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("credentials in the URL are not allowed"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() || !matches!(parsed.path(), "" | "/") {
            return Err(bad(
                "only scheme, host and port are allowed (no path, query or fragment)",
            ));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        Ok(Self {
            https,
            host: host.to_owned(),
            port: parsed.port(),
        })
    }

    /// `host[:port]`, the value of the `host` header.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.authority())
    }

    /// The host name alone.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Aliyun { region: String, sts: StsEndpoint },
    Single(BaseUrl),
}

/// The base URL of every product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    kind: Kind,
    overrides: Vec<(Product, BaseUrl)>,
}

impl Endpoints {
    /// The public Alibaba Cloud endpoints for `region` (regional products use it; STS is global
    /// unless [`Endpoints::with_sts`] says otherwise). The region is validated by
    /// [`Endpoints::resolve`] and [`Client::new`](crate::Client::new).
    pub fn aliyun(region: impl Into<String>) -> Self {
        Self {
            kind: Kind::Aliyun {
                region: region.into(),
                sts: StsEndpoint::Global,
            },
            overrides: Vec::new(),
        }
    }

    /// One base URL for every product (`DLCAUTH_ENDPOINT`, an emulator). The only place where
    /// `http://` is accepted.
    ///
    /// # Errors
    /// [`Error::Config`] for anything but `http(s)://host[:port][/]`.
    pub fn single(base_url: &str) -> Result<Self, Error> {
        Ok(Self {
            kind: Kind::Single(BaseUrl::parse(base_url, true)?),
            overrides: Vec::new(),
        })
    }

    /// Chooses the STS host (ignored by [`Endpoints::single`]).
    #[must_use]
    pub fn with_sts(mut self, sts: StsEndpoint) -> Self {
        if let Kind::Aliyun { sts: current, .. } = &mut self.kind {
            *current = sts;
        }
        self
    }

    /// The same endpoints for another region: regional products move, the STS choice, the
    /// per-product overrides and a single test endpoint stay. The region is validated by
    /// [`Endpoints::resolve`].
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        if let Kind::Aliyun { region: current, .. } = &mut self.kind {
            *current = region.into();
        }
        self
    }

    /// Sends `product`'s calls to `base_url` instead (e.g. a private endpoint). HTTPS only.
    ///
    /// # Errors
    /// [`Error::Config`] for a non-HTTPS or malformed URL.
    pub fn with_endpoint(mut self, product: Product, base_url: &str) -> Result<Self, Error> {
        let url = BaseUrl::parse(base_url, false)?;
        self.overrides.retain(|(p, _)| *p != product);
        self.overrides.push((product, url));
        Ok(self)
    }

    /// Whether every product goes to one test endpoint.
    pub fn is_single(&self) -> bool {
        matches!(self.kind, Kind::Single(_))
    }

    /// The base URL of `product`.
    ///
    /// # Errors
    /// [`Error::Config`] when the region is not a valid region id.
    pub fn resolve(&self, product: Product) -> Result<BaseUrl, Error> {
        if let Some((_, url)) = self.overrides.iter().find(|(p, _)| *p == product) {
            return Ok(url.clone());
        }
        let (region, sts) = match &self.kind {
            Kind::Single(url) => return Ok(url.clone()),
            Kind::Aliyun { region, sts } => (region, sts),
        };
        validate_region(region)?;
        let host = match product {
            Product::Ram => "ram.aliyuncs.com".to_owned(),
            Product::ResourceManager => "resourcemanager.aliyuncs.com".to_owned(),
            Product::OssAdmin => "oss-admin.aliyuncs.com".to_owned(),
            Product::Sts => match sts {
                StsEndpoint::Global => "sts.aliyuncs.com".to_owned(),
                StsEndpoint::Regional(sts_region) => {
                    validate_region(sts_region)?;
                    format!("sts.{sts_region}.aliyuncs.com")
                }
                StsEndpoint::Vpc(sts_region) => {
                    validate_region(sts_region)?;
                    format!("sts-vpc.{sts_region}.aliyuncs.com")
                }
            },
            Product::AiWorkspace => format!("aiworkspace.{region}.aliyuncs.com"),
            Product::Nas => format!("nas.{region}.aliyuncs.com"),
        };
        Ok(BaseUrl::https_host(host))
    }
}

/// Region ids are lower-case letters, digits and dashes (`cn-hangzhou`, `ap-southeast-1`); they
/// end up in host names, so anything else is refused.
pub(crate) fn validate_region(region: &str) -> Result<(), Error> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!("invalid region id {region:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(endpoints: &Endpoints, product: Product) -> String {
        endpoints
            .resolve(product)
            .map(|u| u.origin())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn aliyun_endpoints_match_the_reference_hosts() {
        let e = Endpoints::aliyun("cn-shanghai");
        assert_eq!(host(&e, Product::Ram), "https://ram.aliyuncs.com");
        assert_eq!(host(&e, Product::Sts), "https://sts.aliyuncs.com");
        assert_eq!(
            host(&e, Product::ResourceManager),
            "https://resourcemanager.aliyuncs.com"
        );
        assert_eq!(
            host(&e, Product::AiWorkspace),
            "https://aiworkspace.cn-shanghai.aliyuncs.com"
        );
        assert_eq!(host(&e, Product::OssAdmin), "https://oss-admin.aliyuncs.com");
        assert_eq!(host(&e, Product::Nas), "https://nas.cn-shanghai.aliyuncs.com");
        let regional = e.clone().with_sts(StsEndpoint::Regional("cn-beijing".into()));
        assert_eq!(host(&regional, Product::Sts), "https://sts.cn-beijing.aliyuncs.com");
        assert_eq!(host(&regional, Product::Ram), "https://ram.aliyuncs.com");
        let vpc = e.clone().with_sts(StsEndpoint::Vpc("cn-shanghai".into()));
        assert_eq!(host(&vpc, Product::Sts), "https://sts-vpc.cn-shanghai.aliyuncs.com");
        let bad = e.with_sts(StsEndpoint::Regional("x/y".into())).resolve(Product::Sts);
        assert!(matches!(bad, Err(Error::Config(_))), "{bad:?}");
    }

    #[test]
    fn with_region_moves_only_the_regional_products() -> Result<(), Error> {
        let e = Endpoints::aliyun("cn-hangzhou")
            .with_sts(StsEndpoint::Regional("cn-shanghai".into()))
            .with_endpoint(Product::Nas, "https://nas-private.example")?
            .with_region("eu-central-1");
        assert_eq!(
            host(&e, Product::AiWorkspace),
            "https://aiworkspace.eu-central-1.aliyuncs.com"
        );
        assert_eq!(host(&e, Product::Sts), "https://sts.cn-shanghai.aliyuncs.com");
        assert_eq!(host(&e, Product::Nas), "https://nas-private.example");
        let single = Endpoints::single("http://127.0.0.1:8080")?.with_region("eu-central-1");
        assert_eq!(host(&single, Product::AiWorkspace), "http://127.0.0.1:8080");
        Ok(())
    }

    #[test]
    fn single_routes_everything_to_one_origin() -> Result<(), Error> {
        let e = Endpoints::single("http://127.0.0.1:8080/")?;
        assert!(e.is_single());
        for p in [
            Product::Sts,
            Product::Ram,
            Product::AiWorkspace,
            Product::Nas,
            Product::OssAdmin,
        ] {
            assert_eq!(host(&e, p), "http://127.0.0.1:8080");
            assert_eq!(e.resolve(p)?.authority(), "127.0.0.1:8080");
        }
        assert_eq!(
            Endpoints::single("https://emu.example")?
                .resolve(Product::Ram)?
                .authority(),
            "emu.example"
        );
        Ok(())
    }

    #[test]
    fn http_is_refused_outside_single_and_junk_is_refused_everywhere() {
        let overridden = Endpoints::aliyun("cn-hangzhou").with_endpoint(Product::Ram, "http://ram.internal");
        assert!(
            matches!(overridden, Err(Error::Config(ref m)) if m.contains("http://")),
            "{overridden:?}"
        );
        for junk in [
            "ftp://x",
            "http://",
            "http://u:p@host",
            "http://host/path",
            "http://host/?a=b",
            "not a url",
        ] {
            assert!(matches!(Endpoints::single(junk), Err(Error::Config(_))), "{junk}");
        }
    }

    #[test]
    fn a_password_in_an_endpoint_url_is_refused_without_being_echoed() {
        for url in ["http://dlcauth:Pa55word@127.0.0.1:8080", "http://dlcauth:Pa55word@"] {
            match Endpoints::single(url) {
                Err(Error::Config(message)) => assert!(!message.contains("Pa55word"), "{message}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn https_overrides_win_and_bad_regions_are_refused() -> Result<(), Error> {
        let e = Endpoints::aliyun("cn-hangzhou").with_endpoint(Product::Ram, "https://ram-vpc.example:8443")?;
        assert_eq!(host(&e, Product::Ram), "https://ram-vpc.example:8443");
        for region in ["", "CN-HANGZHOU", "cn hangzhou", "evil.com/x", "-cn", "a.b"] {
            let bad = Endpoints::aliyun(region).resolve(Product::AiWorkspace);
            assert!(matches!(bad, Err(Error::Config(_))), "{region:?}");
        }
        Ok(())
    }
}
