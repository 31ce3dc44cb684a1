/**
 * Analytic adult chest anatomy for the synthetic phantom, in millimetres.
 * Frame: X to the patient's left, Y to the posterior, Z up from the lung bases (LPS axes, shifted),
 * so Z = 0 is the lowest point of the costophrenic recesses and Z = LUNG_HEIGHT_MM the apices.
 * Sizes are typical adult values (chest ≈ 330 × 215 mm, lungs ≈ 24 cm tall, ≈ 2.5–3 L each).
 */

export const LUNG_HEIGHT_MM = 240;

/** Tissue values (HU) of an unenhanced chest CT. */
export const TISSUE_HU = {
  air: -1000,
  lung: -860,
  /** Posterior (dependent) lung is denser than anterior: ± this much across the AP depth. */
  lungGravityGradient: 30,
  fat: -95,
  muscle: 45,
  skin: 20,
  blood: 40,
  liver: 60,
  spleen: 48,
  stomachWall: 35,
  csf: 10,
  cancellousBone: 230,
  corticalBone: 650,
  cartilage: 90,
  tableShell: 180,
  tableFoam: -980,
} as const;

/** Body outline: ellipse halves (anterior / posterior semi-axes differ: the back is flatter). */
export const BODY = { centreY: -5, semiX: 165, semiYAnterior: 120, semiYPosterior: 110 } as const;
const SKIN_MM = 2;
/** Inner boundary of the chest wall muscle = outer boundary of the ribs and the pleural cavity. */
const WALL_MM = 30;
const RIB_THICKNESS_MM = 9;

export const CAVITY = { semiX: BODY.semiX - WALL_MM - 5, semiYAnterior: 82, semiYPosterior: 78 } as const;
/** Inner boundary of subcutaneous fat: thick laterally and in front, thin over the back. */
const FAT_INNER = { semiX: BODY.semiX - 22, semiYAnterior: BODY.semiYAnterior - 14, semiYPosterior: BODY.semiYPosterior - 8 } as const;
const PECTORAL_MM = 12;

export const SPINE = { bodyY: BODY.centreY + 66, bodyRadius: 17, canalY: BODY.centreY + 88, canalRadius: 8 } as const;

export const TRACHEA = { x: 0, y: BODY.centreY + 25, lumenRadius: 9, wall: 2, carinaZ: 0.62 * LUNG_HEIGHT_MM } as const;
export const HILUM_Z = 0.55 * LUNG_HEIGHT_MM;
/** Where each main bronchus ends and the intrapulmonary tree starts (just inside the lung). */
export const HILUM = {
  right: [-40, BODY.centreY + 12, HILUM_Z] as const,
  left: [42, BODY.centreY + 14, HILUM_Z - 6] as const,
};
export const MAIN_BRONCHUS_LUMEN_MM = { right: 6.5, left: 5.5 } as const;
export const BRONCHUS_WALL_MM = 1.5;

const HEART = { x: 18, y: BODY.centreY - 20, z: 0.2 * LUNG_HEIGHT_MM, rx: 62, ry: 52, rz: 58 } as const;
const ASCENDING_AORTA = { x: 8, y: BODY.centreY - 28, r: 15, zFrom: 0.4 * LUNG_HEIGHT_MM, zTo: 0.74 * LUNG_HEIGHT_MM } as const;
const DESCENDING_AORTA = { x: 24, y: BODY.centreY + 48, r: 12, zTo: 0.74 * LUNG_HEIGHT_MM } as const;
const ESOPHAGUS = { x: 6, y: BODY.centreY + 40, r: 7 } as const;
/** Other great vessels seen axially as discs over a height range (fractions of lung height). */
const MEDIASTINAL_VESSELS: ReadonlyArray<{ x: number; y: number; r: number; uFrom: number; uTo: number }> = [
  { x: -24, y: BODY.centreY - 26, r: 10, uFrom: 0.45, uTo: 0.85 }, // superior vena cava
  { x: 24, y: BODY.centreY - 30, r: 14, uFrom: 0.5, uTo: 0.6 }, // pulmonary trunk
  { x: 34, y: BODY.centreY - 5, r: 10, uFrom: 0.52, uTo: 0.6 }, // left pulmonary artery
  { x: -30, y: BODY.centreY - 8, r: 9, uFrom: 0.5, uTo: 0.56 }, // right pulmonary artery
  { x: -14, y: BODY.centreY - 40, r: 8, uFrom: 0.82, uTo: 1.1 }, // brachiocephalic trunk
  { x: 16, y: BODY.centreY - 36, r: 7, uFrom: 0.82, uTo: 1.1 }, // left common carotid / subclavian
];

/** Region codes used while painting (not exported as labels). */
export const enum Region {
  OutsideBody = 0,
  Skin,
  Fat,
  Muscle,
  Rib,
  Mediastinum,
  Heart,
  Aorta,
  Lung,
  Abdomen,
  Spine,
  Trachea,
}

/** Everything about one axial level that does not depend on (X, Y). */
export interface LevelGeometry {
  z: number;
  /** Lung apex taper (1 below 62 % of lung height, → 0 at the apex). */
  apexScale: number;
  heartRx: number;
  heartRy: number;
  hasAscendingAorta: boolean;
  hasDescendingAorta: boolean;
  hasArch: boolean;
  hasTrachea: boolean;
  /** Rib pattern phase for this level (ribs run obliquely, so each level cuts different arcs). */
  z01: number;
}

export function levelGeometry(z: number): LevelGeometry {
  const u = z / LUNG_HEIGHT_MM;
  const apexU = 0.62;
  const apexScale = u <= apexU ? 1 : Math.sqrt(Math.max(0, 1 - ((u - apexU) / (1 - apexU + 0.02)) ** 2));
  const dz = (z - HEART.z) / HEART.rz;
  const hs = dz * dz < 1 ? Math.sqrt(1 - dz * dz) : 0;
  return {
    z,
    apexScale,
    heartRx: HEART.rx * hs,
    heartRy: HEART.ry * hs,
    hasAscendingAorta: z >= ASCENDING_AORTA.zFrom && z <= ASCENDING_AORTA.zTo,
    hasDescendingAorta: z <= DESCENDING_AORTA.zTo && z > -60,
    hasArch: z > ASCENDING_AORTA.zTo - 8 && z <= ASCENDING_AORTA.zTo + 14,
    hasTrachea: z >= TRACHEA.carinaZ,
    z01: u,
  };
}

/** Normalised elliptic radius² with different anterior/posterior semi-axes. */
function ell2(x: number, y: number, cy: number, sx: number, sAnt: number, sPost: number): number {
  const dy = y - cy;
  const sy = dy < 0 ? sAnt : sPost;
  return (x * x) / (sx * sx) + (dy * dy) / (sy * sy);
}

export function bodyRadius2(x: number, y: number, inset: number): number {
  return ell2(x, y, BODY.centreY, BODY.semiX - inset, BODY.semiYAnterior - inset, BODY.semiYPosterior - inset);
}

/** Diaphragm height (mm) under (X, Y): two domes, the right one higher (liver below). */
export function diaphragmZ(x: number, y: number): number {
  const dyR = y - (BODY.centreY - 5);
  const rR = ((x + 58) * (x + 58) + dyR * dyR) / (105 * 105);
  const rL = ((x - 62) * (x - 62) + dyR * dyR) / (100 * 100);
  const domeR = 0.2 * LUNG_HEIGHT_MM * Math.max(0, 1 - rR);
  const domeL = 0.15 * LUNG_HEIGHT_MM * Math.max(0, 1 - rL);
  // posterior recesses reach lower than anterior ones
  const tilt = 0.06 * LUNG_HEIGHT_MM * Math.max(0, Math.min(1, -(y - BODY.centreY) / CAVITY.semiYAnterior));
  return Math.max(domeR, domeL) + tilt;
}

/** Half-width (mm) of the mediastinum at depth Y: narrow anterior junction, wider posteriorly. */
function mediastinumHalfWidth(y: number, g: LevelGeometry): number {
  const t = Math.max(0, Math.min(1, (y - BODY.centreY + 55) / 45));
  const base = 13 + 11 * t * t * (3 - 2 * t);
  return g.z01 > 0.8 ? base - 3 : base;
}

function inDisk(x: number, y: number, cx: number, cy: number, r: number): boolean {
  const dx = x - cx;
  const dy = y - cy;
  return dx * dx + dy * dy <= r * r;
}

function inMediastinalVessel(x: number, y: number, g: LevelGeometry, marginMm: number): boolean {
  for (const v of MEDIASTINAL_VESSELS) {
    if (g.z01 >= v.uFrom && g.z01 <= v.uTo && inDisk(x, y, v.x, v.y, v.r + marginMm)) return true;
  }
  return false;
}

export function inAorta(x: number, y: number, g: LevelGeometry): boolean {
  if (g.hasAscendingAorta && inDisk(x, y, ASCENDING_AORTA.x, ASCENDING_AORTA.y, ASCENDING_AORTA.r)) return true;
  if (g.hasDescendingAorta && inDisk(x, y, DESCENDING_AORTA.x, DESCENDING_AORTA.y, DESCENDING_AORTA.r)) return true;
  if (g.hasArch) {
    // the arch seen axially: a capsule from the ascending to the descending aorta
    const ax = ASCENDING_AORTA.x, ay = ASCENDING_AORTA.y, bx = DESCENDING_AORTA.x, by = DESCENDING_AORTA.y;
    const vx = bx - ax, vy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
    const dx = x - (ax + t * vx), dy = y - (ay + t * vy);
    if (dx * dx + dy * dy <= 13 * 13) return true;
  }
  return false;
}

/** Which lung (1 right, 2 left) the point lies in by anatomy alone, or 0. Airways are not subtracted here. */
export function lungAt(x: number, y: number, g: LevelGeometry): 0 | 1 | 2 {
  if (g.z <= 0 || g.apexScale <= 0) return 0;
  if (ell2(x, y, BODY.centreY, CAVITY.semiX, CAVITY.semiYAnterior, CAVITY.semiYPosterior) >= 1) return 0;
  const ax = Math.abs(x);
  if (ax <= mediastinumHalfWidth(y, g)) return 0;
  if (g.z <= diaphragmZ(x, y)) return 0;
  if (g.heartRx > 0) {
    const dx = (x - HEART.x) / (g.heartRx + 3);
    const dy = (y - HEART.y) / (g.heartRy + 3);
    if (dx * dx + dy * dy <= 1) return 0;
  }
  if (inDisk(x, y, 0, SPINE.bodyY, SPINE.bodyRadius + 5)) return 0;
  if (inAorta(x, y, g) || inDisk(x, y, DESCENDING_AORTA.x, DESCENDING_AORTA.y, g.hasDescendingAorta ? DESCENDING_AORTA.r + 3 : 0)) return 0;
  if (inMediastinalVessel(x, y, g, 2)) return 0;
  if (g.apexScale < 1) {
    const cx = x < 0 ? -68 : 68;
    const dx = (x - cx) / (92 * g.apexScale);
    const dy = (y - BODY.centreY - 8) / (88 * g.apexScale);
    if (dx * dx + dy * dy > 1) return 0;
  }
  return x < 0 ? 1 : 2;
}

/**
 * Soft-tissue / bone value (HU) at a point that is not lung, and whether it is inside the body.
 * Vessels, airways and lesions are painted later.
 */
export function backgroundHu(x: number, y: number, g: LevelGeometry, ribPhase: number): number {
  const rb = bodyRadius2(x, y, 0);
  if (rb >= 1) return TISSUE_HU.air;
  if (bodyRadius2(x, y, SKIN_MM) >= 1) return TISSUE_HU.skin;
  // spine and posterior elements sit in the back muscles
  if (inDisk(x, y, 0, SPINE.bodyY, SPINE.bodyRadius)) {
    return inDisk(x, y, 0, SPINE.bodyY, SPINE.bodyRadius - 2.5) ? TISSUE_HU.cancellousBone : TISSUE_HU.corticalBone;
  }
  if (inDisk(x, y, 0, SPINE.canalY, SPINE.canalRadius)) return TISSUE_HU.csf;
  if (Math.abs(x) < 4 && y > SPINE.canalY + SPINE.canalRadius - 1 && y < SPINE.canalY + 22) return TISSUE_HU.corticalBone;
  if (y > SPINE.bodyY - 4 && y < SPINE.canalY + 4 && Math.abs(x) > SPINE.canalRadius && Math.abs(x) < 34 && Math.abs(y - SPINE.bodyY - 10 - 0.25 * Math.abs(x)) < 4) {
    return TISSUE_HU.corticalBone; // pedicles and transverse processes
  }
  const rCav = ell2(x, y, BODY.centreY, CAVITY.semiX, CAVITY.semiYAnterior, CAVITY.semiYPosterior);
  if (rCav >= 1) {
    // chest wall: ribs just outside the pleura, then muscle, then fat
    const rRib = ell2(x, y, BODY.centreY, CAVITY.semiX + RIB_THICKNESS_MM, CAVITY.semiYAnterior + RIB_THICKNESS_MM, CAVITY.semiYPosterior + RIB_THICKNESS_MM);
    if (rRib < 1 && g.z > -40) {
      const rib = ribValue(x, y, g, ribPhase, rCav, rRib);
      if (rib !== 0) return rib;
    }
    if (Math.abs(x) < 14 && y < BODY.centreY - CAVITY.semiYAnterior && g.z01 > 0.3 && g.z01 < 0.98) {
      return bodyRadius2(x, y, WALL_MM - 12) < 1 ? TISSUE_HU.cancellousBone : TISSUE_HU.muscle; // sternum
    }
    const fatR = ell2(x, y, BODY.centreY, FAT_INNER.semiX, FAT_INNER.semiYAnterior, FAT_INNER.semiYPosterior);
    if (fatR >= 1) return TISSUE_HU.fat;
    const ax = Math.abs(x);
    if (y > SPINE.bodyY - 6 && ax < 58) {
      // erector spinae beside the spine, outlined by a thin fat plane
      return ax > 55 ? TISSUE_HU.fat : TISSUE_HU.muscle;
    }
    if (y < BODY.centreY - 25 && ax > 18 && g.z01 > 0.4) {
      // pectoralis major over the upper anterior chest, a fat plane under it
      const inner = ell2(x, y, BODY.centreY, FAT_INNER.semiX - PECTORAL_MM, FAT_INNER.semiYAnterior - PECTORAL_MM, FAT_INNER.semiYPosterior);
      if (inner >= 1) return TISSUE_HU.muscle;
      const plane = ell2(x, y, BODY.centreY, FAT_INNER.semiX - PECTORAL_MM - 2, FAT_INNER.semiYAnterior - PECTORAL_MM - 2, FAT_INNER.semiYPosterior);
      if (plane >= 1) return TISSUE_HU.fat;
    }
    return TISSUE_HU.muscle;
  }
  // inside the cavity but not lung
  if (g.z <= diaphragmZ(x, y) || g.z <= 0) {
    // upper abdomen under the domes: liver right, stomach and spleen left
    if (x < 10) return TISSUE_HU.liver;
    if (y > BODY.centreY + 20) return TISSUE_HU.spleen;
    return TISSUE_HU.stomachWall;
  }
  if (g.heartRx > 0) {
    const dx = (x - HEART.x) / g.heartRx;
    const dy = (y - HEART.y) / g.heartRy;
    const r = dx * dx + dy * dy;
    if (r <= 1) return TISSUE_HU.blood;
  }
  if (inAorta(x, y, g) || inMediastinalVessel(x, y, g, 0)) return TISSUE_HU.blood;
  if (inDisk(x, y, ESOPHAGUS.x, ESOPHAGUS.y, ESOPHAGUS.r)) return TISSUE_HU.muscle;
  if (g.apexScale < 1 && Math.abs(x) > 30) return TISSUE_HU.muscle; // neck and shoulder girdle above the apices
  return TISSUE_HU.fat; // mediastinal fat
}

/**
 * Ribs: 10 visible pairs, each descending ~60 mm from back to front, so an axial level cuts short
 * arcs of several ribs (how ribs look on a real axial slice).
 */
function ribValue(x: number, y: number, g: LevelGeometry, ribPhase: number, rCav: number, rRib: number): number {
  const theta = Math.atan2(-(y - BODY.centreY), Math.abs(x)); // 0 lateral, +π/2 anterior, −π/2 posterior
  const post = (Math.PI / 2 - theta) / Math.PI; // 0 anterior … 1 posterior
  const RIB_PITCH_MM = 24;
  const RIB_HALF_HEIGHT_MM = 5;
  const zRib = g.z + ribPhase - 62 * post;
  const m = ((zRib % RIB_PITCH_MM) + RIB_PITCH_MM) % RIB_PITCH_MM;
  if (m > 2 * RIB_HALF_HEIGHT_MM) return 0;
  if (post < 0.08) return TISSUE_HU.cartilage; // costal cartilage near the sternum
  const edge = Math.min(m, 2 * RIB_HALF_HEIGHT_MM - m);
  // cortex: the rim of the rib's cross-section (top/bottom edge along z, inner/outer along the radius)
  return edge < 1.6 || rCav < 1.025 || rRib > 0.95 ? TISSUE_HU.corticalBone : TISSUE_HU.cancellousBone;
}
