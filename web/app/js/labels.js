/*
 * labels.js - the report's measures in words and units a person knows. The analysis measures in
 * joint angles (degrees) and in body lengths (a thigh, a shin, a torso, the shoulders' width),
 * which say nothing to someone reading "shallow depth: pass (-0.06 thigh, limit 0.35)"; here
 * that becomes "Depth: hips about 3 cm below the knees — good".
 *
 * Body lengths become centimetres through an adult's typical segment lengths (thigh 45 cm, shin
 * 42 cm, torso 50 cm, shoulders 38 cm apart), so they are written "about"; angles stay degrees.
 * Pure functions (no DOM): the Node tests import them.
 */

const CM = { thigh: 45, shin: 42, torso: 50, shoulders: 38 };

const round = (v) => Math.round(Math.abs(v));
const cm = (v, unit) => `about ${round(v * (CM[unit] || 0))} cm`;
const deg = (v) => `${round(v)}°`;
const pct = (v) => `${Math.round(v * 100)} %`;

/* [title, (value, check) -> words] per check name; a name not listed gets the generic form. */
const CHECKS = {
  shallow_depth: ['Depth', (v, c) => c.unit === 'thigh'
    ? (v > 0 ? `hips ${cm(v, 'thigh')} above the knees` : `hips ${cm(v, 'thigh')} below the knees`)
    : `joint bent to ${deg(v)}`],
  partial_range: ['Range', (v, c) => c.unit === 'deg' ? `elbows bent to ${deg(v)}` : `pulled up ${cm(v, 'torso')}`],
  incomplete_range: ['Range', (v) => `arms raised to ${deg(v)}`],
  incomplete_lockout: ['Lockout', (v) => `straightened to ${deg(v)} (180° is straight)`],
  knee_valgus: ['Knees', (v) => `knees ${pct(v)} as wide as the feet`],
  forward_lean: ['Lean', (v) => `torso leans ${deg(v)} forward`],
  heels_rise: ['Heels', (v) => v > 0 ? `heels lift ${cm(v, 'shin')}` : 'heels stay down'],
  knees_past_toes: ['Knees over toes', (v) => v > 0 ? `knees ${cm(v, 'shin')} past the toes` : `knees ${cm(v, 'shin')} behind the toes`],
  uneven_sides: ['Left and right', (v) => `sides differ by ${deg(v)}`],
  torso_swing: ['Swing', (v) => `body swings ${deg(v)}`],
  kipping: ['Swing', (v) => `body swings ${deg(v)}`],
  elbow_drift: ['Elbows', (v) => `elbows travel ${deg(v)}`],
  elbow_flare: ['Elbows', (v) => `elbows ${deg(v)} out from the body`],
  rounded_back: ['Back', (v) => `back rounds ${deg(v)}`],
  back_arch: ['Back', (v) => `back arches ${deg(v)}`],
  hip_sag: ['Hips', (v) => v > 0 ? `hips sag ${cm(v, 'torso')} below the line` : `hips ${cm(v, 'torso')} above the line`],
  hips_high: ['Hips', (v) => v < 0 ? `hips ${cm(v, 'torso')} above the line` : `hips ${cm(v, 'torso')} below the line`],
  head_drop: ['Head', (v) => `head drops ${deg(v)}`],
  narrow_stance: ['Stance', (v) => `feet ${Number(v).toFixed(1)} × shoulder width apart`],
};

export function checkTitle(name) {
  const known = CHECKS[name];
  return known ? known[0] : String(name || 'check').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/* A near thing: the value is past its threshold by less than two of the measure's noise units
 * (a fault takes more than one), i.e. within one unit of the fault line, which the form engine
 * reports as a confidence under 0.982 (1 / (1 + e^-4)). Such a check can go either way on a
 * repeat of the rep or at another camera rate (docs/internals/analysis.md, "At a phone's frame
 * rate"): 159 of the 166 outcome changes at 6, 8 and 10 frames/s on the dev set were. */
export function atTheLimit(check) {
  const c = check || {};
  const v = Number(c.value), t = Number(c.threshold), conf = Number(c.confidence);
  if (c.outcome !== 'fault' && c.outcome !== 'pass') return false;
  if (![v, t, conf].every(Number.isFinite) || c.value === null || c.threshold === null || c.confidence === null) return false;
  const past = c.fault_when === 'below' ? v < t : v > t;
  return past && conf < 0.982;
}

/* One check of a rep in words: "Depth: hips about 3 cm below the knees — good".
 * repVerdict decides how a failed check reads: a fault on a rep judged bad "needs work"; the
 * same outcome on a rep judged good is only a note (the verdict is what counts). A check at the
 * limit says so ("— needs work, at the limit"). */
export function checkWords(check, repVerdict) {
  const c = check || {};
  const known = CHECKS[c.name];
  const title = checkTitle(c.name);
  const v = Number(c.value);
  let what;
  if (c.outcome === 'not_judged' || !Number.isFinite(v)) what = 'not seen from this camera';
  else if (known) what = known[1](v, c);
  else what = `${Number(v).toFixed(2)} ${c.unit || ''}`.trim();
  let status;
  if (c.outcome === 'not_judged' || !Number.isFinite(v)) status = 'not judged';
  else if (c.outcome === 'fault') status = repVerdict === 'good' ? 'note' : 'needs work';
  else status = 'good';
  const near = status !== 'not judged' && atTheLimit(c);
  return { title, text: `${title}: ${what} — ${status}${near ? ', at the limit' : ''}`, status, near };
}

const DEPTH_NAMES = {
  min_knee_angle_deg: 'Deepest knee bend',
  min_front_knee_angle_deg: 'Deepest front-knee bend',
  min_elbow_angle_deg: 'Tightest elbow bend',
  min_elbow_angle_image_deg: 'Deepest elbow bend',
  min_hip_angle_deg: 'Deepest hip bend',
  max_arm_abduction_deg: 'Highest arm raise',
  max_hands_over_shoulders_torso: 'Hands above the shoulders',
};

/* The depth measure of a rep: ['Deepest knee bend', '82°'], or null. */
export function depthWords(name, value) {
  const v = Number(value);
  if (!Number.isFinite(v)) return null;
  const title = DEPTH_NAMES[name] || String(name || 'depth').replace(/_(deg|torso|thigh)$/, '').replace(/_/g, ' ');
  if (/_deg$/.test(name || '')) return [title, deg(v)];
  if (/_torso$/.test(name || '')) return [title, cm(v, 'torso')];
  return [title, Number(v).toFixed(1)];
}

/* The metrics of a rep as [label, value] pairs in plain words (range of motion only when it is
 * an angle; the other units are the analysis' own). */
export function metricWords({ rom, romUnit, depthName, depth, eccentric, concentric, symmetry }) {
  const out = [];
  const d = depthWords(depthName, depth);
  if (d) out.push(d);
  if (Number.isFinite(rom) && romUnit === 'deg') out.push(['Range of motion', deg(rom)]);
  if (Number.isFinite(eccentric)) out.push(['Going down', `${Number(eccentric).toFixed(1)} s`]);
  if (Number.isFinite(concentric)) out.push(['Coming up', `${Number(concentric).toFixed(1)} s`]);
  if (Number.isFinite(symmetry)) out.push(['Left–right difference', deg(symmetry)]);
  return out;
}

export function faultWords(name) {
  return String(name || '').replace(/_/g, ' ');
}

export function verdictWords(v) {
  return v === 'good' ? 'good' : v === 'bad' ? 'needs work' : "can't judge";
}

const REASONS = {
  landmarks_hidden: 'part of the body was hidden or out of the picture',
  no_checks_for_view: 'this camera angle shows none of its checks',
};

export function reasonWords(r) {
  return REASONS[r] || String(r || 'not enough of the body was seen').replace(/_/g, ' ');
}
