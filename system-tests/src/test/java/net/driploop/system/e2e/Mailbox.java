package net.driploop.system.e2e;

import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import net.driploop.infra.TestSmtp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The mail the SMTP server (GreenMail) accepted, as a recipient reads it. */
final class Mailbox {

    /** One accepted message: recipients, sender, subject, text and HTML parts, and a few headers. */
    record Mail(List<String> to, String from, String subject, String text, String html, String messageId,
            String correlationId) {
    }

    private Mailbox() {
    }

    /** Every message accepted so far for this address. */
    static List<Mail> to(String address) {
        return all().stream().filter(m -> m.to().contains(address)).toList();
    }

    /** How many messages each recipient got so far. */
    static Map<String, Integer> countsByRecipient() {
        Map<String, Integer> counts = new HashMap<>();
        for (MimeMessage message : TestSmtp.received()) {
            try {
                Address[] recipients = message.getAllRecipients();
                for (Address recipient : recipients == null ? new Address[0] : recipients) {
                    counts.merge(recipient.toString(), 1, Integer::sum);
                }
            } catch (MessagingException e) {
                throw new IllegalStateException(e);
            }
        }
        return counts;
    }

    static List<Mail> all() {
        List<Mail> mails = new ArrayList<>();
        for (MimeMessage message : TestSmtp.received()) {
            mails.add(read(message));
        }
        return mails;
    }

    private static Mail read(MimeMessage message) {
        try {
            List<String> to = new ArrayList<>();
            Address[] recipients = message.getAllRecipients();
            for (Address recipient : recipients == null ? new Address[0] : recipients) {
                to.add(recipient.toString());
            }
            Map<String, String> parts = new HashMap<>();
            collect(message, parts);
            return new Mail(to, message.getFrom()[0].toString(), message.getSubject(), parts.get("text/plain"),
                    parts.get("text/html"), message.getMessageID(), message.getHeader("X-Driploop-Correlation-Id", null));
        } catch (MessagingException | IOException e) {
            throw new IllegalStateException("unreadable message", e);
        }
    }

    private static void collect(Part part, Map<String, String> parts) throws MessagingException, IOException {
        if (part.isMimeType("multipart/*")) {
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                collect(child, parts);
            }
        } else if (part.isMimeType("text/plain")) {
            parts.putIfAbsent("text/plain", part.getContent().toString());
        } else if (part.isMimeType("text/html")) {
            parts.putIfAbsent("text/html", part.getContent().toString());
        }
    }
}
