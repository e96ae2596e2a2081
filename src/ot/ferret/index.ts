// Silent OT (Ferret), semi-honest: random COTs under one Δ per direction, ≈ 0.7 bits (b11) per COT in steady state.
export { FERRET_B11, FERRET_B13, FERRET_TINY, LPN_D, ferretShape, type FerretParams, type FerretShape } from "./params.js";
export { ChoicePredictor, FerretCotReceiver, FerretCotSender, FerretPlan, type CorrectionLink, type FerretOptions } from "./ferret.js";
export { extensionCotReceiver, extensionCotSender, iknpCotReceiver, iknpCotSender, type BaseCotReceiver, type BaseCotSender } from "./bootstrap.js";
export { CggmScratch, cggmRecv, cggmSend, sigma } from "./cggm.js";
export { LpnEncoder, lpnBits, lpnGather, LPN_DOMAIN } from "./lpn.js";
export { ferretTreeAes, ferretTreeKey } from "./keys.js";
