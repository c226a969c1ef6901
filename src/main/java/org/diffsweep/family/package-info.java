/**
 * The families layer (docs/architecture.md): the family interfaces ({@link org.diffsweep.family.Family},
 * {@link org.diffsweep.family.Cell}, {@link org.diffsweep.family.ModelSource}, {@link org.diffsweep.family.Need}), which
 * the outer layers plan and run every family through, and the EDM family. Uses the core only; never names a family
 * implementation outside this package (config picks the family) nor anything above.
 */
package org.diffsweep.family;
