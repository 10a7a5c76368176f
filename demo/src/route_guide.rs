//! The route guide services of k6's gRPC examples (`proto/route_guide.proto`,
//! package `main`): `FeatureExplorer` (`GetFeature`, `ListFeatures`) and
//! `RouteGuide` (`RecordRoute`, `RouteChat`), over a few features of the
//! demo's own ([`FEATURES`]).

use std::pin::Pin;
use std::time::Instant;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// The generated messages and services of `route_guide.proto`.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("main");
}

use pb::feature_explorer_server::{FeatureExplorer, FeatureExplorerServer};
use pb::route_guide_server::{RouteGuide, RouteGuideServer};
use pb::{Feature, Point, Rectangle, RouteNote, RouteSummary};

/// The features the demo knows: (name, latitude, longitude), degrees
/// times 1e7.
pub const FEATURES: &[(&str, i32, i32)] = &[
    (
        "k6r demo: the feature of the examples",
        410_248_224,
        -747_127_767,
    ),
    ("k6r demo: north-east corner", 419_999_544, -740_371_136),
    ("k6r demo: a point in the middle", 412_950_425, -741_077_389),
    ("k6r demo: south-west corner", 406_109_563, -742_186_778),
    ("k6r demo: far away", 100_000_000, 100_000_000),
];

fn features() -> impl Iterator<Item = Feature> {
    FEATURES.iter().map(|&(name, latitude, longitude)| Feature {
        name: name.to_owned(),
        location: Some(Point {
            latitude,
            longitude,
        }),
    })
}

fn at(point: &Point) -> Option<Feature> {
    features().find(|f| f.location.as_ref() == Some(point))
}

/// Metres between two points (haversine, on a sphere of the Earth's
/// mean radius).
fn distance(a: &Point, b: &Point) -> f64 {
    let rad = |e7: i32| (f64::from(e7) / 1e7).to_radians();
    let (lat1, lat2) = (rad(a.latitude), rad(b.latitude));
    let dlat = lat2 - lat1;
    let dlon = rad(b.longitude) - rad(a.longitude);
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// The services' state (none).
#[derive(Debug, Default)]
struct Service;

type Features = Pin<Box<dyn Stream<Item = Result<Feature, Status>> + Send>>;
type Notes = Pin<Box<dyn Stream<Item = Result<RouteNote, Status>> + Send>>;

#[tonic::async_trait]
impl FeatureExplorer for Service {
    async fn get_feature(&self, request: Request<Point>) -> Result<Response<Feature>, Status> {
        let point = request.into_inner();
        Ok(Response::new(at(&point).unwrap_or(Feature {
            name: String::new(),
            location: Some(point),
        })))
    }

    type ListFeaturesStream = Features;

    async fn list_features(
        &self,
        request: Request<Rectangle>,
    ) -> Result<Response<Features>, Status> {
        let rectangle = request.into_inner();
        let (lo, hi) = (
            rectangle.lo.unwrap_or_default(),
            rectangle.hi.unwrap_or_default(),
        );
        let inside = move |p: &Point| {
            (lo.latitude.min(hi.latitude)..=lo.latitude.max(hi.latitude)).contains(&p.latitude)
                && (lo.longitude.min(hi.longitude)..=lo.longitude.max(hi.longitude))
                    .contains(&p.longitude)
        };
        let found: Vec<_> = features()
            .filter(|f| f.location.as_ref().is_some_and(inside))
            .map(Ok)
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(found))))
    }
}

#[tonic::async_trait]
impl RouteGuide for Service {
    async fn record_route(
        &self,
        request: Request<Streaming<Point>>,
    ) -> Result<Response<RouteSummary>, Status> {
        let started = Instant::now();
        let mut points = request.into_inner();
        let mut summary = RouteSummary::default();
        let mut metres = 0.0;
        let mut last: Option<Point> = None;
        while let Some(point) = points.next().await {
            let point = point?;
            summary.point_count += 1;
            if at(&point).is_some() {
                summary.feature_count += 1;
            }
            if let Some(last) = &last {
                metres += distance(last, &point);
            }
            last = Some(point);
        }
        summary.distance = metres.min(f64::from(i32::MAX)) as i32;
        summary.elapsed_time = i32::try_from(started.elapsed().as_secs()).unwrap_or(i32::MAX);
        Ok(Response::new(summary))
    }

    type RouteChatStream = Notes;

    async fn route_chat(
        &self,
        request: Request<Streaming<RouteNote>>,
    ) -> Result<Response<Notes>, Status> {
        Ok(Response::new(Box::pin(request.into_inner())))
    }
}

/// The two services, to add to a server.
pub fn services() -> (
    FeatureExplorerServer<impl FeatureExplorer>,
    RouteGuideServer<impl RouteGuide>,
) {
    (
        FeatureExplorerServer::new(Service),
        RouteGuideServer::new(Service),
    )
}
