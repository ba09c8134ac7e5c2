//! The one thread on which a server analyses, frees what it analysed
//! before, and gives memory back.
//!
//! Each analysis allocates a whole graph and frees the previous one. On
//! the runtime's blocking pool, the graph was built on whichever thread was
//! idle and freed on another: the allocator keeps a heap per thread, so
//! memory freed in one thread's heap was not reused by the next analysis on
//! another, and giving memory back on a resting thread did not reach the
//! heaps that held it. On one thread, the next analysis reuses what the
//! last one freed, and a release reaches all of it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Mutex;

use super::server::panic_message;

type Job = Box<dyn FnOnce() + Send>;

pub(super) struct AnalysisThread {
    /// Jobs run in the order they are sent. `None` once the thread could
    /// not be started; jobs then run on the blocking pool instead.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

impl AnalysisThread {
    /// Starts the thread; it ends when this is dropped.
    pub(super) fn start() -> Self {
        let (sender, receiver) = mpsc::channel::<Job>();
        let started = std::thread::Builder::new()
            .name("sqla-analysis".into())
            .spawn(move || {
                for job in receiver {
                    job();
                }
            });
        AnalysisThread {
            jobs: Mutex::new(started.ok().map(|_| sender)),
        }
    }

    /// Runs `f` on the thread after the jobs sent before it; a panic in it
    /// becomes an error message.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(catch_unwind(AssertUnwindSafe(f)));
        });
        if let Err(mpsc::SendError(job)) = self.send(job) {
            // No thread: the job still runs, on the blocking pool.
            tokio::task::spawn_blocking(job);
        }
        match answered.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(payload)) => Err(panic_message(payload.as_ref())),
            Err(_) => Err("the analysis thread stopped".to_string()),
        }
    }

    /// Runs `f` on the thread after the jobs sent before it, without
    /// waiting for it.
    pub(super) fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        let job: Job = Box::new(move || {
            let _ = catch_unwind(AssertUnwindSafe(f));
        });
        if let Err(mpsc::SendError(job)) = self.send(job) {
            tokio::task::spawn_blocking(job);
        }
    }

    fn send(&self, job: Job) -> Result<(), mpsc::SendError<Job>> {
        let jobs = self
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match jobs.as_ref() {
            Some(sender) => sender.send(job),
            None => Err(mpsc::SendError(job)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::AnalysisThread;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_in_order_on_one_thread() {
        let thread = AnalysisThread::start();
        let order = Arc::new(Mutex::new(Vec::new()));
        for n in 0..20 {
            let order = order.clone();
            thread.spawn(move || order.lock().unwrap().push(n));
        }
        let first = thread.run(|| std::thread::current().id()).await;
        let second = thread.run(|| std::thread::current().id()).await;
        assert_eq!(first, second);
        assert_ne!(first.unwrap(), std::thread::current().id());
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_is_an_error_and_the_thread_goes_on() {
        let thread = AnalysisThread::start();
        let failed = thread.run(|| -> u32 { panic!("in the job") }).await;
        assert_eq!(failed, Err("in the job".to_string()));
        thread.spawn(|| panic!("in a job nobody waits for"));
        assert_eq!(thread.run(|| 7).await, Ok(7));
    }
}
