//! Producers and scripted events: generating events and their arrival times.

use std::sync::Arc;

use serde_json::Value;

use super::{Item, Pending, Simulator};
use crate::scenario::model::{Arrival, KeyDistribution};
use crate::scenario::template::{Context, DataTemplate, StrTemplate};
use crate::sim::sched::Class;
use crate::trace::{EventId, Partition};

impl Simulator {
    /// Schedules producer `p`'s first event: at `start` (fixed) or `start` + one
    /// exponential draw (poisson).
    pub(super) fn schedule_first_production(&mut self, p: usize) {
        let model = &self.model.producers[p];
        let first = match model.arrival {
            Arrival::Fixed => Some(model.start),
            Arrival::Poisson => model.start.checked_add(self.state.producers[p].rng.exponential(1e6 / model.rate)),
        };
        self.schedule_production(p, first);
    }

    #[inline]
    fn schedule_production(&mut self, p: usize, at: Option<u64>) {
        let model = &self.model.producers[p];
        let produced = self.state.producers[p].produced;
        let Some(at) = at else { return };
        if at < model.stop && at <= self.model.duration && model.count.is_none_or(|c| produced < c) {
            self.state.agenda.schedule(at, Class::Publish, Item::Produce(p as u32));
        }
    }

    /// Generates and publishes producer `p`'s next event, then schedules the one after.
    /// Draw order per event: key, type, data; then the next interarrival time.
    pub(super) fn produce(&mut self, p: usize) {
        let now = self.now();
        // Borrowed from the field, not cloned out of its `Arc`: this runs on every publish. What
        // is needed after the first `&mut self` call is copied out before it.
        let pm = &self.model.producers[p];
        let (topic, retry_duplicates, idempotent, arrival, rate, start) =
            (pm.topic, pm.retry_duplicates, pm.idempotent, pm.arrival, pm.rate, pm.start);
        let n = self.state.producers[p].produced + 1;
        self.state.producers[p].produced = n;

        let key = pm.keys.as_ref().map(|keys| {
            let state = &mut self.state.producers[p];
            let number = match keys.distribution {
                KeyDistribution::Uniform => state.rng.below(keys.cardinality) + 1,
                KeyDistribution::Sequential => (n - 1) % keys.cardinality + 1,
                KeyDistribution::Zipf => match &keys.zipf {
                    Some(cdf) => state.rng.weighted(cdf) as u64 + 1,
                    None => state.rng.zipf(keys.cardinality, keys.zipf_s),
                },
            };
            state.keys.get_or_insert(number, || self.trace.strings.intern(&format!("{}{number}", keys.prefix)))
        });
        let state = &mut self.state.producers[p];
        let kind = state.rng.weighted(&pm.cumulative);
        let ty = &pm.types[kind];
        let schema_version = state.versions[kind];
        self.state.roots += 1;
        let id = EventId::root(self.state.roots);
        let (data, headers) = if let (Some(data), Some(headers)) = (ty.literal_data, ty.literal_headers) {
            (data, headers)
        } else if let (None, Some(template), true) = (
            ty.literal_data,
            &ty.data,
            ty.headers.is_empty() && !ty.data.as_ref().is_some_and(DataTemplate::has_placeholders),
        ) {
            // Generated values only: written as text straight into the payloads, with the
            // draws and the bytes of the value rendered and stored below.
            let data =
                self.trace.payloads.push_written(|out| template.write_json(&mut state.rng, &mut state.sequences, out));
            (data, crate::trace::Span::NONE)
        } else {
            let mut data = match &ty.data {
                Some(template) => template.render(&mut state.rng, &mut state.sequences, None),
                None => Value::Object(serde_json::Map::new()),
            };
            // Placeholders refer to the event itself, its generated data included.
            let mut headers = Vec::new();
            if ty.data.as_ref().is_some_and(DataTemplate::has_placeholders) || !ty.headers.is_empty() {
                let id_text = id.render(&self.trace.strings);
                let snapshot = data.clone();
                let ctx = Context {
                    key: key.map(|k| self.trace.strings.resolve(k)),
                    id: &id_text,
                    event_type: self.trace.strings.resolve(ty.event_type),
                    data: &snapshot,
                    n,
                    state: None,
                };
                if let Some(template) = &ty.data {
                    template.fill(&mut data, &ctx);
                }
                headers = render_headers(&ty.headers, &ctx);
            }
            let payloads = &mut self.trace.payloads;
            (ty.literal_data.unwrap_or_else(|| payloads.push(&data)), payloads.push_headers(&headers))
        };
        let pending = Pending {
            topic: pm.topic,
            event_type: ty.event_type,
            key,
            source: pm.source,
            correlation: None,
            cause: None,
            emitter: None,
            schema_version,
            headers,
            data,
        };
        let event = self.new_event(&pending, Some(id));
        let partition = self.publish(event, topic, None);
        // A lost acknowledgement: the producer sends the same event again, right after.
        if retry_duplicates > 0.0 && self.state.producers[p].retry_rng.chance(retry_duplicates) {
            if idempotent {
                let mut step = crate::trace::Step::new(crate::trace::StepKind::DroppedDuplicate, now);
                step.event = Some(event);
                step.topic = Some(topic);
                if let Some(partition) = partition {
                    step.partition = Some(Partition::new(partition as usize));
                }
                self.push(step);
            } else {
                self.publish(event, topic, partition);
            }
        }

        let next = match arrival {
            Arrival::Fixed => {
                // start + ⌊k·1 000 000 / rate⌋ µs for k = n.
                let offset = (n as f64 * 1e6 / rate).floor();
                (offset < u64::MAX as f64).then(|| start.saturating_add(offset as u64))
            }
            Arrival::Poisson => now.checked_add(self.state.producers[p].rng.exponential(1e6 / rate)),
        };
        self.schedule_production(p, next);
    }

    /// Publishes scripted event `i`.
    pub(super) fn script(&mut self, i: usize) {
        let model = Arc::clone(&self.model);
        let e = &model.scripted[i];
        let emitters = &self.trace.emitters;
        let is_consumer = |sym| emitters.contains(&sym);
        let id = if let Some(id) = e.id.as_deref() {
            EventId::custom(id, &mut self.trace.strings, is_consumer)
        } else {
            self.state.roots += 1;
            EventId::root(self.state.roots)
        };
        let correlation = e.correlation_id.as_deref().map(|c| EventId::custom(c, &mut self.trace.strings, is_consumer));
        let pending = Pending {
            topic: e.topic,
            event_type: e.event_type,
            key: e.key,
            source: e.source,
            correlation,
            cause: None,
            emitter: None,
            schema_version: e.schema_version,
            headers: e.headers,
            data: e.data,
        };
        let event = self.new_event(&pending, Some(id));
        self.publish(event, e.topic, None);
    }
}

/// Renders header templates.
pub(super) fn render_headers(headers: &[(String, StrTemplate)], ctx: &Context<'_>) -> Vec<(String, String)> {
    headers.iter().map(|(k, t)| (k.clone(), t.render_text(ctx))).collect()
}
