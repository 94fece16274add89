//! One integration test binary (link time matters on small machines).

mod cases;
mod checks;
mod classify;
mod cli;
mod dialects;
mod endless;
mod faults;
mod injection;
mod interactive;
mod judged;
mod postgres;
mod props;
mod reading;
mod refusals;
mod run;
mod schedule;
mod seed_walk;
mod sign;
mod site;
mod support;
mod test;
mod transcripts;
mod transcripts_sealed;
mod trust;
mod yaml_values;
