<?xml version="1.0" encoding="UTF-8"?>
<!--
  The features file, made from drivers/pom.xml (the one list of driver bundles) by the build
  (features/pom.xml, before karaf-maven-plugin filters ${project.version} and the library versions):
  one netdrivers-KIND feature per KIND-bundle listed there, described by that module's <name>,
  and netdrivers, which holds them all. Core, the Jumpstarter import and the fleet are written out below.
  Each driver feature needs only netdrivers-core.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:pom="http://maven.apache.org/POM/4.0.0"
                xmlns="http://karaf.apache.org/xmlns/features/v1.6.0"
                exclude-result-prefixes="pom">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:variable name="drivers" select="/pom:project/pom:dependencies/pom:dependency[substring-after(pom:artifactId, '-') = 'bundle']"/>

  <xsl:template match="/">
    <features name="netdrivers-${{project.version}}">

      <feature name="netdrivers-core" version="${{project.version}}"
               description="netdrivers API and registry (exports, forwards, network:* commands, JMX), with Declarative Services and Apache Mina">
        <!-- Declarative Services: Felix SCR unless something already provides it (Karaf's scr feature, for one) -->
        <bundle dependency="true" start-level="30">mvn:org.osgi/org.osgi.util.function/1.2.0</bundle>
        <bundle dependency="true" start-level="30">mvn:org.osgi/org.osgi.util.promise/1.3.0</bundle>
        <bundle dependency="true" start-level="30">mvn:org.osgi/org.osgi.service.component/1.5.1</bundle>
        <bundle dependency="true" start-level="30">mvn:org.apache.felix/org.apache.felix.scr/${felix.scr.version}</bundle>
        <bundle dependency="true">mvn:org.apache.mina/mina-core/${mina.version}</bundle>
        <bundle>mvn:org.netdrivers/api-bundle/${project.version}</bundle>
        <bundle>mvn:org.netdrivers/io-bundle/${project.version}</bundle>
        <bundle>mvn:org.netdrivers/registry-bundle/${project.version}</bundle>
      </feature>

      <xsl:for-each select="$drivers">
        <xsl:variable name="module" select="pom:artifactId"/>
        <!-- a module's folder is its artifactId; its POM's <name> says what it is and what it embeds -->
        <xsl:variable name="name" select="normalize-space(document(concat('../', $module, '/pom.xml'), /)/pom:project/pom:name)"/>
        <feature name="netdrivers-{substring-before($module, '-bundle')}" version="${{project.version}}" description="{$name}">
          <feature version="${{project.version}}">netdrivers-core</feature>
          <bundle>mvn:org.netdrivers/<xsl:value-of select="$module"/>/${project.version}</bundle>
        </feature>
      </xsl:for-each>

      <feature name="netdrivers-jumpstarter" version="${{project.version}}" description="netdrivers import of Jumpstarter exporter files dropped into deploy/">
        <feature version="${{project.version}}">netdrivers-core</feature>
        <bundle dependency="true">mvn:org.yaml/snakeyaml/${snakeyaml.version}</bundle>
        <bundle>mvn:org.netdrivers/jumpstarter-bundle/${project.version}</bundle>
      </feature>

      <feature name="netdrivers-fleet" version="${{project.version}}" description="netdrivers fleet: endpoints of many runtimes through ZooKeeper (Apache Curator and the ZooKeeper client embedded), reached over mutual TLS; inactive without its configuration org.netdrivers.fleet">
        <feature version="${{project.version}}">netdrivers-core</feature>
        <bundle>mvn:org.netdrivers/fleet-bundle/${project.version}</bundle>
      </feature>

      <feature name="netdrivers" version="${{project.version}}" description="netdrivers: every driver, the registry, the Jumpstarter import and the fleet">
        <xsl:for-each select="$drivers">
          <feature version="${{project.version}}">netdrivers-<xsl:value-of select="substring-before(pom:artifactId, '-bundle')"/></feature>
        </xsl:for-each>
        <feature version="${{project.version}}">netdrivers-jumpstarter</feature>
        <feature version="${{project.version}}">netdrivers-fleet</feature>
      </feature>
    </features>
  </xsl:template>
</xsl:stylesheet>
