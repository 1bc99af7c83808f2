/** Device and link catalogs: schemas, built-in data, user catalog files. */
export {
  BUILTIN_DEVICES_FILE,
  BUILTIN_LINKS_FILE,
  CatalogError,
  getDevice,
  getLink,
  loadDeviceCatalog,
  loadLinkCatalog,
  parseDeviceEntries,
  parseLinkEntries,
  type Catalog,
  type DeviceCatalog,
  type LinkCatalog,
} from './catalog.js';
export {
  deviceSchema,
  linkSchema,
  type DeviceMeasurement,
  type DeviceSpec,
  type LinkMeasurement,
  type LinkSpec,
} from './schema.js';
export { acceptedUnits, parseQuantity, type Dimension, type ParseResult } from './units.js';
