//! The body tap: wraps a response body so an observer sees every data frame, the end,
//! an error or an early drop, while the caller gets the same frames.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use reqwest::ResponseBuilderExt;

/// What a tap reports to.
pub(crate) trait Observer: Send + Sync + 'static {
    /// A data frame that reached the caller, and when it arrived.
    fn on_data(&mut self, data: &Bytes, arrived: Instant);
    /// The body ended normally.
    fn on_end(&mut self);
    /// The body failed (the caller gets the same error).
    fn on_error(&mut self, err: &(dyn std::error::Error + 'static));
    /// The body was dropped before its end or an error.
    fn on_drop(&mut self);
}

pin_project! {
    /// A body that reports to an observer and otherwise is its inner body.
    ///
    /// The arrival instant of a frame is taken as soon as the inner body yields it; the
    /// observer sees the frame then, before it is returned to the caller, so that the frame
    /// that ends a call (a stream's terminal event, a body's last byte) has ended its spans
    /// by the time the caller holds it, even if the caller never polls again. The observer's
    /// work per frame is the cost of reading it (tens of nanoseconds per server-sent event
    /// with capture off, see the benchmarks); bytes, frame boundaries and errors are the
    /// inner body's.
    pub(crate) struct TapBody<O: Observer> {
        #[pin]
        inner: reqwest::Body,
        observer: O,
        done: bool,
    }

    impl<O: Observer> PinnedDrop for TapBody<O> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done {
                *this.done = true;
                this.observer.on_drop();
            }
        }
    }
}

impl<O: Observer> TapBody<O> {
    pub(crate) fn new(inner: reqwest::Body, observer: O) -> Self {
        Self {
            inner,
            observer,
            done: false,
        }
    }
}

impl<O: Observer> Body for TapBody<O> {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let polled = this.inner.as_mut().poll_frame(cx);
        if *this.done {
            return polled;
        }
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.observer.on_data(data, Instant::now());
                }
                // a body that knows it is complete (content length reached) ends now, not
                // at a poll the caller may never make
                if this.inner.is_end_stream() {
                    *this.done = true;
                    this.observer.on_end();
                }
            }
            Poll::Ready(Some(Err(err))) => {
                *this.done = true;
                this.observer.on_error(err);
            }
            Poll::Ready(None) => {
                *this.done = true;
                this.observer.on_end();
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Put a tap on a response's body. Status, headers, extensions, URL and
/// `content_length()` stay what they were.
pub(crate) fn tap_response<O: Observer>(
    response: reqwest::Response,
    observer: O,
) -> reqwest::Response {
    let url = response.url().clone();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    // the round trip through http::Response drops the URL: carry it back over
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    let body = reqwest::Body::wrap(TapBody::new(body, observer));
    reqwest::Response::from(http::Response::from_parts(parts, body))
}
