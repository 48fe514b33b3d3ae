package io.sparkprop.driver.config;

/**
 * One configuration key: its name, default (HOCON text; null when it has none), the one-line
 * description shown in docs and errors, and whether it is a group of free-form parameters.
 */
public record Key(String name, String defaultValue, String description) {}
