//! Early warning: is this minute's count of complaints in a series (a
//! category, product or region) a spike against the series' own baseline?
//!
//! Each series keeps an exponentially weighted moving mean and variance of
//! its per-minute counts (West's incremental form), so its memory is
//! constant and recent minutes weigh most. A minute is a spike when the
//! series has seen enough minutes to know its baseline (`warmup_minutes`),
//! the count reaches `min_count`, and it lies at least `sensitivity`
//! standard deviations above the mean. The deviation is never taken below
//! the square root of the mean (counts of independent arrivals vary at
//! least that much, and a moving variance sometimes underestimates it) nor
//! below a floor (`min_stddev`), which keeps a series that was always
//! silent from calling its first few complaints a spike. Every count, spike or not, then moves the
//! baseline, so a lasting new level becomes the new normal rather than an
//! endless alarm; deduplication of warnings per series is the caller's.
//!
//! Every number is configuration (`[crisis.early_warning]`) with a default.

use serde::{Deserialize, Serialize};

/// How spikes are told from noise.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeSettings {
    /// The weight of the newest minute in the moving mean and variance,
    /// in (0, 1); smaller remembers longer.
    pub alpha: f64,
    /// How many standard deviations above the mean a count must be.
    pub sensitivity: f64,
    /// The smallest count that can be a spike.
    pub min_count: u32,
    /// How many minutes a series must have seen before it can spike.
    pub warmup_minutes: u32,
    /// The smallest standard deviation a baseline is taken to have.
    pub min_stddev: f64,
}

impl Default for SpikeSettings {
    fn default() -> Self {
        Self {
            alpha: 0.02,
            sensitivity: 6.0,
            min_count: 5,
            warmup_minutes: 60,
            min_stddev: 1.0,
        }
    }
}

impl SpikeSettings {
    /// Checks the numbers; the message names the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err("alpha must be between 0 and 1".into());
        }
        if !(self.sensitivity > 0.0 && self.sensitivity.is_finite()) {
            return Err("sensitivity must be positive".into());
        }
        if self.min_count == 0 {
            return Err("min_count must be at least 1".into());
        }
        if !(self.min_stddev > 0.0 && self.min_stddev.is_finite()) {
            return Err("min_stddev must be positive".into());
        }
        Ok(())
    }
}

/// One series' baseline.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Baseline {
    /// The moving mean of the per-minute count.
    pub mean: f64,
    /// The moving variance.
    pub variance: f64,
    /// How many minutes it has seen.
    pub minutes: u32,
}

/// A minute that stood out, with the evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// The minute's count.
    pub count: u32,
    /// The mean before this minute.
    pub baseline_mean: f64,
    /// The standard deviation before this minute (at least the square root
    /// of the mean, and the floor).
    pub baseline_stddev: f64,
    /// How many standard deviations above the mean the count was.
    pub score: f64,
}

impl Baseline {
    /// Whether a minute's `count` is a spike against the baseline so far,
    /// without taking it in: for the minute still running, whose count is
    /// not final.
    pub fn check(&self, count: u32, settings: &SpikeSettings) -> Option<Spike> {
        let x = f64::from(count);
        let stddev = self
            .variance
            .sqrt()
            .max(self.mean.max(0.0).sqrt())
            .max(settings.min_stddev);
        let score = (x - self.mean) / stddev;
        (self.minutes >= settings.warmup_minutes
            && count >= settings.min_count
            && score >= settings.sensitivity)
            .then_some(Spike {
                count,
                baseline_mean: self.mean,
                baseline_stddev: stddev,
                score,
            })
    }

    /// Whether the running minute's count has just become a spike: `count`
    /// is one and `count - 1` was not. Counts only rise within a minute, so
    /// this holds at most once per series per minute, at the complaint that
    /// crossed the threshold.
    pub fn crossed(&self, count: u32, settings: &SpikeSettings) -> Option<Spike> {
        let spike = self.check(count, settings)?;
        let before = count.checked_sub(1).and_then(|c| self.check(c, settings));
        before.is_none().then_some(spike)
    }

    /// Takes in one minute's `count`: whether it is a spike against the
    /// baseline so far, after which the baseline moves to include it.
    pub fn observe(&mut self, count: u32, settings: &SpikeSettings) -> Option<Spike> {
        let spike = self.check(count, settings);
        let x = f64::from(count);
        if self.minutes == 0 {
            self.mean = x;
            self.variance = 0.0;
        } else {
            let diff = x - self.mean;
            let step = settings.alpha * diff;
            self.mean += step;
            self.variance = (1.0 - settings.alpha) * (self.variance + diff * step);
        }
        self.minutes = self.minutes.saturating_add(1);
        spike
    }

    /// Takes in `minutes` minutes without a complaint, as [`Self::observe`]
    /// of 0 each would. Once the mean and variance have decayed to nothing
    /// the rest only count towards the warm-up, so a series silent for
    /// months folds as fast as one silent for an hour.
    pub fn observe_quiet(&mut self, minutes: u64, settings: &SpikeSettings) {
        const NOTHING: f64 = 1e-12;
        let mut left = minutes;
        while left > 0 {
            if self.minutes > 0 && self.mean < NOTHING && self.variance < NOTHING {
                self.mean = 0.0;
                self.variance = 0.0;
                let rest = u32::try_from(left).unwrap_or(u32::MAX);
                self.minutes = self.minutes.saturating_add(rest);
                return;
            }
            self.observe(0, settings);
            left -= 1;
        }
    }
}

/// What a complaint series counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The complaint's category code.
    Category,
    /// The product or service.
    Product,
    /// The region.
    Region,
}

impl Dimension {
    /// Every dimension, in the order complaints are counted.
    pub const ALL: [Dimension; 3] = [Dimension::Category, Dimension::Product, Dimension::Region];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Dimension::Category => "category",
            Dimension::Product => "product",
            Dimension::Region => "region",
        }
    }

    /// The dimension of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
}

/// The key under which detections of one series are deduplicated, such as
/// `spike:category:too_slow/late_delivery`.
pub fn spike_key(dimension: Dimension, value: &str) -> String {
    format!("spike:{}:{value}", dimension.code())
}

/// The evidence's detail of a spike, code-level: "9.3σ above baseline".
pub fn spike_detail(spike: &Spike) -> String {
    format!("{:.1}σ above baseline", spike.score)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts around `mean`, spread like arrivals: a small deterministic
    /// generator (an LCG) drives a Poisson draw by inversion.
    struct Noise(u64);

    impl Noise {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
        }

        fn poisson(&mut self, mean: f64) -> u32 {
            let u = self.uniform();
            let mut k = 0;
            let mut p = (-mean).exp();
            let mut cumulative = p;
            while u > cumulative && k < 1_000 {
                k += 1;
                p *= mean / f64::from(k);
                cumulative += p;
            }
            k
        }
    }

    fn run(counts: impl IntoIterator<Item = u32>, settings: &SpikeSettings) -> Vec<(usize, Spike)> {
        let mut baseline = Baseline::default();
        counts
            .into_iter()
            .enumerate()
            .filter_map(|(minute, count)| baseline.observe(count, settings).map(|s| (minute, s)))
            .collect()
    }

    #[test]
    fn a_day_of_steady_noise_raises_no_spike() {
        let settings = SpikeSettings::default();
        for seed in 1..=20 {
            let mut noise = Noise(seed);
            let day: Vec<u32> = (0..1_440).map(|_| noise.poisson(8.0)).collect();
            assert!(run(day, &settings).is_empty(), "seed {seed}");
        }
    }

    #[test]
    fn a_synthetic_burst_is_detected_in_its_first_minute_with_its_evidence() {
        let settings = SpikeSettings::default();
        let mut noise = Noise(7);
        let mut counts: Vec<u32> = (0..600).map(|_| noise.poisson(8.0)).collect();
        counts.extend([40, 45, 50]);
        let spikes = run(counts, &settings);
        let (minute, first) = spikes.first().copied().expect("a spike");
        assert_eq!(minute, 600);
        assert_eq!(first.count, 40);
        assert!((first.baseline_mean - 8.0).abs() < 2.0, "{first:?}");
        assert!(first.score >= settings.sensitivity);
    }

    #[test]
    fn a_quiet_series_needs_the_minimum_count_and_its_warmup() {
        let settings = SpikeSettings::default();
        // Silent for hours, then four complaints: below the minimum.
        let mut quiet = vec![0; 300];
        quiet.push(4);
        assert!(run(quiet, &settings).is_empty());
        // Silent, then six: a spike (the floor keeps the score finite).
        let mut burst = vec![0; 300];
        burst.push(6);
        assert_eq!(run(burst, &settings).len(), 1);
        // The same burst in the first minutes of a series is not judged.
        let early = vec![0, 0, 30];
        assert!(run(early, &settings).is_empty());
    }

    #[test]
    fn a_lasting_new_level_stops_alarming_once_it_is_the_baseline() {
        let settings = SpikeSettings::default();
        let mut noise = Noise(3);
        let mut counts: Vec<u32> = (0..300).map(|_| noise.poisson(5.0)).collect();
        counts.extend((0..300).map(|_| noise.poisson(25.0)));
        let spikes = run(counts, &settings);
        assert!(!spikes.is_empty());
        assert!(spikes.iter().all(|(minute, _)| *minute < 400), "{spikes:?}");
    }

    #[test]
    fn settings_are_checked() {
        assert!(SpikeSettings::default().validate().is_ok());
        for bad in [
            SpikeSettings {
                alpha: 1.0,
                ..SpikeSettings::default()
            },
            SpikeSettings {
                sensitivity: 0.0,
                ..SpikeSettings::default()
            },
            SpikeSettings {
                min_count: 0,
                ..SpikeSettings::default()
            },
            SpikeSettings {
                min_stddev: 0.0,
                ..SpikeSettings::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_running_minute_is_checked_without_moving_the_baseline() {
        let settings = SpikeSettings {
            warmup_minutes: 5,
            ..SpikeSettings::default()
        };
        let mut baseline = Baseline::default();
        for _ in 0..10 {
            baseline.observe(1, &settings);
        }
        let before = baseline;
        assert!(baseline.check(1, &settings).is_none());
        let spike = baseline.check(12, &settings).expect("a spike");
        assert_eq!(spike.count, 12);
        assert_eq!(baseline, before, "checking does not fold");
    }

    #[test]
    fn a_burst_crosses_the_threshold_once_per_minute() {
        let settings = SpikeSettings {
            warmup_minutes: 5,
            ..SpikeSettings::default()
        };
        let mut baseline = Baseline::default();
        for _ in 0..10 {
            baseline.observe(1, &settings);
        }
        let crossings: Vec<u32> = (1..=30)
            .filter(|c| baseline.crossed(*c, &settings).is_some())
            .collect();
        assert_eq!(crossings.len(), 1, "{crossings:?}");
        assert!(baseline.check(crossings[0] - 1, &settings).is_none());
    }

    #[test]
    fn quiet_minutes_fold_like_zeros_and_a_long_silence_is_cheap() {
        let settings = SpikeSettings::default();
        let mut folded = Baseline::default();
        let mut stepped = Baseline::default();
        for _ in 0..30 {
            folded.observe(4, &settings);
            stepped.observe(4, &settings);
        }
        folded.observe_quiet(50, &settings);
        for _ in 0..50 {
            stepped.observe(0, &settings);
        }
        assert_eq!(folded, stepped);

        folded.observe_quiet(100_000_000, &settings);
        assert_eq!(folded.minutes, 80 + 100_000_000);
        assert!(folded.mean < 1e-9);
    }

    #[test]
    fn dimensions_round_trip_through_their_codes() {
        for dimension in Dimension::ALL {
            assert_eq!(Dimension::from_code(dimension.code()), Some(dimension));
        }
        assert_eq!(Dimension::from_code("colour"), None);
        assert_eq!(spike_key(Dimension::Region, "north"), "spike:region:north");
    }
}
