/** Architecture rules: which packages and modules may import which, checked by ArchUnit. */
package io.sparkprop.driver.arch;
