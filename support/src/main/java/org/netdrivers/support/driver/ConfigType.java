package org.netdrivers.support.driver;

import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * What a driver's configuration type declares, read once per type: its attributes in declaration
 * order, each with its property name, type, range and default. The ranges are the
 * {@code @AttributeDefinition(min, max)} of the type, read from the metatype resource bnd
 * generates from it ({@code OSGI-INF/metatype/<type>.xml}; metatype annotations are not kept at
 * run time); the defaults are the type's own method defaults. So the annotated type is the one
 * place a field is declared: metatype, the defaults and the ranges the driver checks come from it.
 */
public final class ConfigType {
    /** One attribute: its method, its property name, and what the metatype says of it. */
    record Attribute(Method method, String id, String type, String min, String max, boolean required) {
    }

    private static final ClassValue<ConfigType> TYPES = new ClassValue<>() {
        @Override
        protected ConfigType computeValue(Class<?> type) {
            return new ConfigType(type);
        }
    };

    private final Class<?> type;
    private final List<Attribute> attributes;

    private ConfigType(Class<?> type) {
        this.type = type;
        Map<String, Method> byId = new LinkedHashMap<>();
        for (Method m : type.getDeclaredMethods()) {
            byId.put(propertyName(m.getName()), m);
        }
        List<Attribute> list = new ArrayList<>();
        for (Element ad : definitions(type)) {
            String id = ad.getAttribute("id");
            Method m = byId.get(id);
            if (m == null) {
                throw new IllegalStateException(type.getName() + ": the metatype names '" + id + "', which the type lacks");
            }
            list.add(new Attribute(m, id, ad.getAttribute("type"), ad.getAttribute("min"), ad.getAttribute("max"),
                    m.getDefaultValue() == null));
        }
        if (list.size() != byId.size()) {
            throw new IllegalStateException(type.getName() + ": the metatype describes " + list.size() + " of its "
                    + byId.size() + " attributes");
        }
        this.attributes = List.copyOf(list);
    }

    /** The configuration type {@code type} describes: an {@code @ObjectClassDefinition} annotation type. */
    public static ConfigType of(Class<? extends Annotation> type) {
        return TYPES.get(type);
    }

    Class<?> type() {
        return type;
    }

    List<Attribute> attributes() {
        return attributes;
    }

    /**
     * The property name of an attribute method, as Declarative Services and the metatype
     * annotations map it: {@code $$} is {@code $}, a single {@code $} is dropped, {@code __} is
     * {@code _}, and {@code _} is {@code .}.
     */
    static String propertyName(String method) {
        StringBuilder sb = new StringBuilder(method.length());
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            boolean doubled = i + 1 < method.length() && method.charAt(i + 1) == c;
            if (c == '$') {
                if (doubled) {
                    sb.append('$');
                    i++;
                }
            } else if (c == '_') {
                sb.append(doubled ? '_' : '.');
                if (doubled) {
                    i++;
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The {@code <AD>} elements of the type's {@code <OCD>}, in order. */
    private static List<Element> definitions(Class<?> type) {
        String resource = "OSGI-INF/metatype/" + type.getName() + ".xml";
        try (InputStream in = type.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(type.getName() + ": no " + resource + " (bnd generates it from the type's "
                        + "@ObjectClassDefinition)");
            }
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            NodeList ocds = factory.newDocumentBuilder().parse(in).getElementsByTagName("OCD");
            for (int i = 0; i < ocds.getLength(); i++) {
                Element ocd = (Element) ocds.item(i);
                if (ocd.getAttribute("id").equals(type.getName())) {
                    NodeList ads = ocd.getElementsByTagName("AD");
                    List<Element> out = new ArrayList<>();
                    for (int j = 0; j < ads.getLength(); j++) {
                        out.add((Element) ads.item(j));
                    }
                    return out;
                }
            }
            throw new IllegalStateException(type.getName() + ": " + resource + " has no OCD of that id");
        } catch (IOException | ParserConfigurationException | SAXException e) {
            throw new IllegalStateException(type.getName() + ": cannot read " + resource + ": " + e, e);
        }
    }
}
