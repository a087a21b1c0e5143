//! `Thinned`: keep at most a fixed number of evenly spaced items of a long sequence, plus the last.

/// Items of a sequence indexed 0, 1, 2, ...: every `stride`-th is kept; when more than `cap` are
/// kept, every second one is dropped and the stride doubles. The last item is always kept.
#[derive(Debug, Clone)]
pub struct Thinned<T> {
    cap: usize,
    stride: usize,
    items: Vec<(usize, T)>,
    last: Option<(usize, T)>,
}

impl<T: Clone> Thinned<T> {
    /// Keep at most about `cap` items (at least 2).
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(2),
            stride: 1,
            items: Vec::new(),
            last: None,
        }
    }

    /// Whether [`Thinned::push`] would keep item number `index` among the evenly spaced ones
    /// (the last item offered is kept whatever this says).
    #[inline]
    pub fn keeps(&self, index: usize) -> bool {
        index & (self.stride - 1) == 0
    }

    /// Offer item number `index` (indices must increase).
    #[inline]
    pub fn push(&mut self, index: usize, item: T) {
        // The stride is a power of two: a mask, not a division, on every push.
        if index & (self.stride - 1) == 0 {
            self.items.push((index, item.clone()));
            if self.items.len() > self.cap {
                self.stride *= 2;
                let stride = self.stride;
                self.items.retain(|(i, _)| i.is_multiple_of(stride));
            }
        }
        self.last = Some((index, item));
    }

    /// The kept items with their indices, the last one included.
    pub fn items(&self) -> Vec<(usize, T)> {
        let mut out = self.items.clone();
        if let Some((i, item)) = self
            .last
            .as_ref()
            .filter(|(i, _)| out.last().is_none_or(|(j, _)| j != i))
        {
            out.push((*i, item.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_sequence_keeps_evenly_spaced_items_and_the_last() {
        let mut t = Thinned::new(8);
        for i in 0..1001 {
            t.push(i, i);
        }
        let items = t.items();
        assert!(items.len() <= 10, "{}", items.len());
        assert_eq!(items.first().map(|x| x.0), Some(0));
        assert_eq!(items.last().map(|x| x.0), Some(1000));
        let gaps: Vec<usize> = items.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(
            gaps[..gaps.len() - 1].iter().all(|&g| g == gaps[0]),
            "{gaps:?}"
        );
        let mut short = Thinned::new(8);
        for i in 0..5 {
            short.push(i, i);
        }
        assert_eq!(short.items().len(), 5);
    }
}
